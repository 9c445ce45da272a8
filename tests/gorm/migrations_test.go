package gormtest

import (
	"context"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/testkit/storetest"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// applyMigrations runs the dialect's SQL files from gormstore.MigrationFS() in name order, the
// way an external migration tool would.
func applyMigrations(t testing.TB, db *gorm.DB, dialect string) {
	t.Helper()
	applyMigrationRange(t, db, dialect, "0000", "9999")
}

// applyMigrationRange runs the files whose version (the NNNN of NNNN_description.sql) lies
// between first and last, inclusive: to build a database at an older schema version, or to
// upgrade one.
func applyMigrationRange(t testing.TB, db *gorm.DB, dialect, first, last string) {
	t.Helper()
	dir := path.Join("migrations", dialect)
	files, err := fs.Glob(gormstore.MigrationFS(), dir+"/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations in %s: %v", dir, err)
	}
	slices.Sort(files)
	comment := regexp.MustCompile(`(?m)^\s*--.*$`)
	for _, f := range files {
		if version, _, _ := strings.Cut(path.Base(f), "_"); version < first || version > last {
			continue
		}
		b, err := fs.ReadFile(gormstore.MigrationFS(), f)
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
			fromSQL, _ := b.open(t, testdb.Quiet())
			applyMigrations(t, fromSQL, b.name)
			fromGORM, _ := b.open(t, testdb.Quiet())
			if _, err := gormstore.New(fromGORM, gormstore.Options{AutoMigrate: true}); err != nil {
				t.Fatal(err)
			}
			sameSchema(t, fromSQL, fromGORM)
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
		// An app that created version 1 with AutoMigrate (or the 0001 file) and upgrades with
		// AutoMigrate ends up with the schema of the SQL files.
		t.Run("AutoMigrateUpgradesVersion1", func(t *testing.T) {
			upgraded, _ := b.open(t, testdb.Quiet())
			applyMigrationRange(t, upgraded, b.name, "0001", "0001")
			if _, err := gormstore.New(upgraded, gormstore.Options{AutoMigrate: true}); err != nil {
				t.Fatal(err)
			}
			fromSQL, _ := b.open(t, testdb.Quiet())
			applyMigrations(t, fromSQL, b.name)
			sameSchema(t, fromSQL, upgraded)
		})
		t.Run("UpgradeKeepsVersion1Rows", func(t *testing.T) { testUpgradeKeepsRows(t, b) })
		t.Run("StoreSuite", func(t *testing.T) {
			storetest.StoreSuite(t, func(t *testing.T) core.Store {
				db, _ := b.open(t, testdb.Quiet())
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

// sameSchema fails the test unless both databases hold the same sessions, signing_keys and
// audit_events tables: columns (in order, with type, nullability, size and precision) and
// indexes.
func sameSchema(t *testing.T, want, got *gorm.DB) {
	t.Helper()
	for _, table := range []string{"sessions", "signing_keys", "audit_events"} {
		c1, i1 := shapeOf(t, want, table)
		c2, i2 := shapeOf(t, got, table)
		if !slices.Equal(c1, c2) {
			t.Errorf("%s columns differ:\nSQL files:   %+v\nAutoMigrate: %+v", table, c1, c2)
		}
		if !slices.Equal(i1, i2) {
			t.Errorf("%s indexes differ: SQL files %v, AutoMigrate %v", table, i1, i2)
		}
	}
}

// insertVersion1 writes rec with the columns of schema version 1 only, as a store of that
// version did.
func insertVersion1(t *testing.T, db *gorm.DB, rec *core.Record) {
	t.Helper()
	opt := func(b []byte) any {
		if b == nil {
			return nil
		}
		return string(b)
	}
	utc := func(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }
	err := db.Exec(`INSERT INTO sessions (handle, user_id, secret, current_hash, previous_hash, rotated_at,
		created_at, expires_at, last_active_at, revoked, version, write_seq, data, payload, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
		rec.Handle, rec.UserID, rec.Secret, rec.CurrentHash, rec.PreviousHash, utc(rec.RotatedAt),
		utc(rec.CreatedAt), utc(rec.ExpiresAt), utc(rec.LastActiveAt), rec.Revoked, rec.Version,
		opt(rec.Data), opt(rec.Payload), rec.IP, rec.UserAgent).Error
	if err != nil {
		t.Fatal(err)
	}
}

// testUpgradeKeepsRows: sessions written under schema version 1 keep working once 0002 and
// later versions are applied. Their lifetimes read as zero (the engine's configured defaults) and the engine
// refreshes them; a session revoked under version 1 has no revoked_at, so it stays out of the
// feed (its access tokens expired long ago) and DeleteExpired purges it at once; revocations
// after the upgrade reach the feed.
func testUpgradeKeepsRows(t *testing.T, b backend) {
	ctx := context.Background()
	// Mint a real session (an engine over a current store elsewhere), to copy into the old
	// database as a version-1 store would have written it.
	mint, _ := newStore(t, b, gormstore.Options{})
	e0, _ := newEngine(t, mint)
	tk, err := e0.IssueTokens(ctx, "olga", core.CreateOptions{Data: map[string]any{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	live := mustGet(t, mint, tk.Handle)
	live.IdleTimeout, live.AbsoluteExpiresAt = 0, time.Time{} // version 1 has no such columns
	oldRevoked := record("olga", epoch)
	oldRevoked.Revoked = true
	other := record("olga", epoch)

	db, _ := b.open(t, testdb.Quiet())
	applyMigrationRange(t, db, b.name, "0001", "0001")
	for _, r := range []*core.Record{live, oldRevoked, other} {
		insertVersion1(t, db, r)
	}
	applyMigrationRange(t, db, b.name, "0002", "9999") // every later version, in order

	clk := core.NewFakeClock(epoch.Add(time.Minute))
	s, err := gormstore.New(db, gormstore.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*core.Record{live, oldRevoked, other} {
		got := mustGet(t, s, want.Handle)
		if got.IdleTimeout != 0 || !got.AbsoluteExpiresAt.IsZero() {
			t.Errorf("a version-1 row reads IdleTimeout %v, AbsoluteExpiresAt %v; want zero values", got.IdleTimeout, got.AbsoluteExpiresAt)
		}
		if got.CurrentHash != want.CurrentHash || got.Revoked != want.Revoked || string(got.Data) != string(want.Data) {
			t.Errorf("a version-1 row changed: %+v", got)
		}
	}
	handles, _, err := s.RevokedSince(ctx, "", 100*365*24*time.Hour)
	if err != nil || len(handles) != 0 {
		t.Errorf("feed over version-1 rows = %q, %v; want nothing (revoked before revoked_at existed)", handles, err)
	}

	e := newEngineAt(t, s, epoch.Add(time.Minute))
	if _, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Errorf("refresh of a version-1 session after the upgrade: %v", err)
	}
	if ok, err := s.Update(ctx, other.Handle, core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
		t.Fatalf("revoke after the upgrade = %v, %v", ok, err)
	}
	handles, _, err = s.RevokedSince(ctx, "", time.Hour)
	if err != nil || !slices.Equal(handles, []string{other.Handle}) {
		t.Errorf("feed after a revocation = %q, %v; want [%s]", handles, err, other.Handle)
	}
	// The version-1 revoked row goes at once; the one revoked now stays for the feed.
	n, err := s.DeleteExpired(ctx, clk.Now())
	if err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want 1 (the row revoked under version 1)", n, err)
	}
	if _, err := s.Get(ctx, other.Handle); err != nil {
		t.Errorf("a row revoked a moment ago was purged before the feed's retention: %v", err)
	}
}
