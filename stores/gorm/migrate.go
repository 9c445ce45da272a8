package gormstore

import (
	"context"
	"embed"
	"io/fs"

	"gorm.io/gorm"
)

// MigrationFS returns the versioned SQL migrations, one directory per dialect under
// migrations/: postgres/, mysql/ and sqlite/, each with files named NNNN_description.sql
// applied in name order. They create exactly the schema that Migrate creates, with the default
// table names (no TablePrefix), for teams that run their own migration tool (goose,
// golang-migrate, atlas, …) instead of AutoMigrate. The files are read-only.
func MigrationFS() fs.FS { return migrationFiles }

//go:embed migrations
var migrationFiles embed.FS

// mysqlTableOptions: InnoDB for row locks and transactions; utf8mb4 so that session data and
// User-Agent strings keep every character; a binary collation so text compares exactly.
const mysqlTableOptions = "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"

// Migrate creates or updates the sessions, signing-keys and audit-events tables and their
// indexes with GORM's AutoMigrate. It is what Options.AutoMigrate runs in New; call it yourself to
// migrate at a time of your choosing. It never drops a column or a table.
//
// Any number of instances may run it at once, on an empty database too: it holds the
// database's own lock while it migrates (a PostgreSQL advisory lock, a MySQL/MariaDB user lock,
// SQLite's write lock; see docs/GORM.md, "Concurrent start"), and reads the catalogue only once
// it holds the lock, so an instance that waited finds the tables of the one before it and has
// nothing left to do. The wait for the lock honours ctx: when ctx ends first, Migrate returns an
// error naming the lock (matching ctx's error with errors.Is).
func (s *Store) Migrate(ctx context.Context) error {
	return s.withMigrationLock(ctx, func(db *gorm.DB) error {
		if s.dialect == dialectMySQL {
			db = db.Set("gorm:table_options", mysqlTableOptions)
		}
		if err := db.Table(s.sessions).AutoMigrate(&sessionRow{}); err != nil {
			return wrap(ctx, "migrate "+s.sessions, err)
		}
		if err := db.Table(s.keys).AutoMigrate(&signingKeyRow{}); err != nil {
			return wrap(ctx, "migrate "+s.keys, err)
		}
		if err := db.Table(s.events).AutoMigrate(&auditRow{}); err != nil {
			return wrap(ctx, "migrate "+s.events, err)
		}
		return nil
	})
}
