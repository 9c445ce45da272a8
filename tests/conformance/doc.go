// Package conformance holds no code: its tests run adaptertest.HTTPSuite, attack section
// included, on every adapter (net/http, Gin, Echo v4 and v5, Fiber) with the GORM store on SQLite,
// PostgreSQL and MariaDB/MySQL, each run on a database (file, schema or database) of its own
// that is dropped at the end. The adapters' own modules run the suite on the memory store;
// this module shows the same wire protocol holds on the store an app runs in production.
//
// PostgreSQL is read from RATCHET_PG_DSN (default: host=127.0.0.1 port=5432 user=postgres
// dbname=test sslmode=disable), MariaDB/MySQL from RATCHET_MYSQL_DSN (default:
// root@tcp(127.0.0.1:3306)/). A missing database skips loudly, or fails with CI=true
// (tests/testdb, testenv.NeedService).
package conformance
