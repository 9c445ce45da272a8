// Package gormtest holds the tests, benchmarks and runnable examples of the GORM store
// (package gormstore). It is a separate module so that the database drivers it needs
// (PostgreSQL, MySQL/MariaDB and pure-Go SQLite) never become dependencies of gormstore or of
// the apps that use it.
//
// The tests need PostgreSQL on 127.0.0.1:5432 (user postgres, database test, trust auth) and
// MariaDB/MySQL on 127.0.0.1:3306 (root, empty password, database test); override with
// RATCHET_PG_DSN and RATCHET_MYSQL_DSN. A missing server skips its tests loudly, or fails
// them when CI=true. Every test works in its own schema, database or SQLite file and drops it
// at the end.
package gormtest
