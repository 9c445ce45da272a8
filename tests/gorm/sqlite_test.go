package gormtest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// TestSQLiteBusy: while another connection holds SQLite's write lock for longer than the busy
// timeout, every write fails with an error matching gormstore.ErrBusy (never a silent
// success, never "no row matched"), reads keep working (WAL), and nothing has changed once
// the lock is gone.
func TestSQLiteBusy(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	db, err := gorm.Open(sqlite.Open(testdb.SQLiteDSN(path, 50)), testdb.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	testdb.Pool(t, db)
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	var mode string
	if err := db.Raw("PRAGMA journal_mode").Row().Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	e, _ := newEngine(t, s)
	tk, err := e.IssueTokens(ctx, "hank", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, s, tk.Handle)

	// The lock holder is a separate pool on the same file, as another process would be.
	other, err := gorm.Open(sqlite.Open(testdb.SQLiteDSN(path, 50)), testdb.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	testdb.Pool(t, other)
	release := holdLock(t, backend{name: "sqlite"}, other, s.SessionsTable(), tk.Handle)

	busy := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, gormstore.ErrBusy) {
			t.Errorf("%s on a locked database: %v, want an error matching gormstore.ErrBusy", op, err)
		}
	}
	busy("Create", s.Create(ctx, record("hank", epoch)))
	ok, err := s.Update(ctx, tk.Handle, core.Cond{}, core.Change{Revoke: true})
	busy("Update", err)
	if ok {
		t.Error("Update on a locked database reported success")
	}
	_, err = s.RevokeByUser(ctx, "hank", "")
	busy("RevokeByUser", err)
	_, err = s.DeleteExpired(ctx, epoch.AddDate(1, 0, 0))
	busy("DeleteExpired", err)
	_, err = s.RevokeAll(ctx)
	busy("RevokeAll", err)
	got, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{})
	if got != nil || !errors.Is(err, core.ErrStore) || !errors.Is(err, gormstore.ErrBusy) {
		t.Errorf("Refresh on a locked database = %v, %v; want no tokens, ErrStore and ErrBusy", got != nil, err)
	}
	// WAL: readers are not blocked by the writer.
	if _, err := s.Get(ctx, tk.Handle); err != nil {
		t.Errorf("Get while locked: %v", err)
	}
	if l, err := s.ListByUser(ctx, "hank", epoch); err != nil || len(l) != 1 {
		t.Errorf("ListByUser while locked = %d, %v", len(l), err)
	}
	release()

	after := mustGet(t, s, tk.Handle)
	if after.Revoked || after.CurrentHash != before.CurrentHash || after.PreviousHash != "" {
		t.Errorf("a failed write changed the row: %+v", after)
	}
	if _, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Errorf("Refresh once the lock is gone: %v", err)
	}
}

// TestNewChecksConnection: New refuses settings that would break the store.
func TestNewChecksConnection(t *testing.T) {
	t.Run("sqlite busy_timeout 0", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nobusy.db")
		db, err := gorm.Open(sqlite.Open("file:"+path+"?_pragma=busy_timeout(0)"), testdb.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		testdb.Pool(t, db)
		if _, err := gormstore.New(db, gormstore.Options{}); err == nil || !strings.Contains(err.Error(), "busy_timeout") {
			t.Errorf("New with busy_timeout=0: %v", err)
		}
	})
	t.Run("sqlite WAL is switched on", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nowal.db")
		db, err := gorm.Open(sqlite.Open("file:"+path), testdb.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		testdb.Pool(t, db)
		if _, err := gormstore.New(db, gormstore.Options{}); err != nil {
			t.Fatal(err)
		}
		var mode string
		if err := db.Raw("PRAGMA journal_mode").Row().Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode after New = %q, %v; want wal", mode, err)
		}
	})
	t.Run("mysql without parseTime", func(t *testing.T) {
		for _, b := range backends {
			if b.name != "mysql" {
				continue
			}
			_, dsn := b.open(t, testdb.Quiet())
			dsn = strings.Replace(dsn, "parseTime=true", "parseTime=false", 1)
			db, err := gorm.Open(b.dialector(dsn), testdb.Quiet())
			if err != nil {
				t.Fatal(err)
			}
			testdb.Pool(t, db)
			if _, err := gormstore.New(db, gormstore.Options{}); err == nil || !strings.Contains(err.Error(), "parseTime=true") {
				t.Errorf("New without parseTime: %v", err)
			}
		}
	})
	t.Run("bad options", func(t *testing.T) {
		if _, err := gormstore.New(nil, gormstore.Options{}); err == nil {
			t.Error("New(nil) succeeded")
		}
		db, _ := testdb.Open(t, testdb.SQLite, "")
		if _, err := gormstore.New(db, gormstore.Options{JanitorInterval: -1}); err == nil {
			t.Error("negative JanitorInterval accepted")
		}
	})
}
