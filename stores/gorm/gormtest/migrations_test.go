package gormtest

import (
	"context"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/sessiontest"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// applyMigrations runs the dialect's SQL files from gormstore.MigrationFS in name order, the
// way an external migration tool would.
func applyMigrations(t testing.TB, db *gorm.DB, dialect string) {
	t.Helper()
	dir := path.Join("migrations", dialect)
	files, err := fs.Glob(gormstore.MigrationFS, dir+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s: %v", dir, err)
	}
	slices.Sort(files)
	comment := regexp.MustCompile(`(?m)^\s*--.*$`)
	for _, f := range files {
		b, err := fs.ReadFile(gormstore.MigrationFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(comment.ReplaceAllString(string(b), ""), ";") {
			if stmt = strings.TrimSpace(stmt); stmt != "" {
				if err := db.Exec(stmt).Error; err != nil {
					t.Fatalf("%s: %v\n%s", f, err, stmt)
				}
			}
		}
	}
}

type columnShape struct {
	Name, Type     string
	Nullable       bool
	Length         int64
	Precision      int64
	PrimaryKey     bool
	NullableKnown  bool
	LengthKnown    bool
	PrecisionKnown bool
}

func shapeOf(t *testing.T, db *gorm.DB, table string) ([]columnShape, []string) {
	t.Helper()
	cols, err := db.Migrator().ColumnTypes(table)
	if err != nil {
		t.Fatal(err)
	}
	var out []columnShape
	for _, c := range cols {
		s := columnShape{Name: c.Name(), Type: strings.ToLower(c.DatabaseTypeName())}
		s.Nullable, s.NullableKnown = c.Nullable()
		s.Length, s.LengthKnown = c.Length()
		s.Precision, _, s.PrecisionKnown = c.DecimalSize()
		s.PrimaryKey, _ = c.PrimaryKey()
		out = append(out, s)
	}
	var idxs []string
	if db.Dialector.Name() == "postgres" {
		// GORM's PostgreSQL GetIndexes does not filter by schema; ask pg_indexes directly.
		var defs []string
		err := db.Raw("SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?", table).
			Find(&defs).Error
		if err != nil {
			t.Fatal(err)
		}
		schema := regexp.MustCompile(`\brt_[0-9a-f]+\.`)
		for _, d := range defs {
			idxs = append(idxs, schema.ReplaceAllString(d, ""))
		}
	} else {
		idx, err := db.Migrator().GetIndexes(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range idx {
			idxs = append(idxs, i.Name()+"("+strings.Join(i.Columns(), ",")+")")
		}
	}
	slices.Sort(idxs)
	return out, idxs
}

// TestMigrationFiles: the SQL files build the same schema as AutoMigrate (same columns, types,
// nullability, sizes, precision and indexes; AutoMigrate on top of them has nothing to do),
// and a store over a database built from them passes the conformance suite.
func TestMigrationFiles(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		t.Run("SameSchemaAsAutoMigrate", func(t *testing.T) {
			fromSQL, _ := b.open(t, quietConfig())
			applyMigrations(t, fromSQL, b.name)
			fromGORM, _ := b.open(t, quietConfig())
			if _, err := gormstore.New(fromGORM, gormstore.Options{AutoMigrate: true}); err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"sessions", "signing_keys"} {
				c1, i1 := shapeOf(t, fromSQL, table)
				c2, i2 := shapeOf(t, fromGORM, table)
				if !slices.Equal(c1, c2) {
					t.Errorf("%s columns differ:\nSQL file:    %+v\nAutoMigrate: %+v", table, c1, c2)
				}
				if !slices.Equal(i1, i2) {
					t.Errorf("%s indexes differ: SQL file %v, AutoMigrate %v", table, i1, i2)
				}
			}
			// AutoMigrate over the SQL-built schema issues no DDL.
			var out syncBuffer
			s, err := gormstore.New(fromSQL.Session(&gorm.Session{Logger: verboseLogger(&out)}), gormstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(out.String(), "\n") {
				if u := strings.ToUpper(l); strings.Contains(u, "ALTER ") || strings.Contains(u, "CREATE ") || strings.Contains(u, "DROP ") {
					t.Errorf("AutoMigrate changed the SQL-built schema: %s", l)
				}
			}
		})
		t.Run("StoreSuite", func(t *testing.T) {
			sessiontest.StoreSuite(t, func(t *testing.T) core.Store {
				db, _ := b.open(t, quietConfig())
				applyMigrations(t, db, b.name)
				s, err := gormstore.New(db, gormstore.Options{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	})
}
