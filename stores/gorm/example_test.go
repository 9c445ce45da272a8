package gormstore_test

import (
	"fmt"
	"io/fs"

	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// The versioned SQL migrations ship inside the package, for migration tools that read an
// fs.FS. A store built with the SQLite driver is shown in the gormtest module's examples.
func Example_migrations() {
	files, _ := fs.Glob(gormstore.MigrationFS(), "migrations/*/*.sql")
	for _, f := range files {
		fmt.Println(f)
	}
	// Output:
	// migrations/mysql/0001_init.sql
	// migrations/mysql/0002_lifetimes_and_revocation_feed.sql
	// migrations/mysql/0003_lineage_history.sql
	// migrations/mysql/0004_audit_events.sql
	// migrations/postgres/0001_init.sql
	// migrations/postgres/0002_lifetimes_and_revocation_feed.sql
	// migrations/postgres/0003_lineage_history.sql
	// migrations/postgres/0004_audit_events.sql
	// migrations/sqlite/0001_init.sql
	// migrations/sqlite/0002_lifetimes_and_revocation_feed.sql
	// migrations/sqlite/0003_lineage_history.sql
	// migrations/sqlite/0004_audit_events.sql
}
