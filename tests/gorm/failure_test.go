package gormtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// checkAllFail calls every store operation and requires each to fail with a *gormstore.Error
// (never a silent success, never ErrNotFound), and Engine.Refresh to fail with core.ErrStore
// and issue nothing.
func checkAllFail(t *testing.T, s core.Store, e *core.Engine, liveHandle, liveToken string) {
	t.Helper()
	ctx := context.Background()
	want := func(op string, err error) {
		t.Helper()
		var se *gormstore.Error
		switch {
		case err == nil:
			t.Errorf("%s on a dead database succeeded", op)
		case errors.Is(err, core.ErrNotFound):
			t.Errorf("%s on a dead database reported ErrNotFound: %v", op, err)
		case !errors.As(err, &se):
			t.Errorf("%s: error %v (%T) is not a *gormstore.Error", op, err, err)
		}
	}
	want("Create", s.Create(ctx, record("dead", epoch)))
	_, err := s.Get(ctx, liveHandle)
	want("Get", err)
	ok, err := s.Update(ctx, liveHandle, core.Cond{}, core.Change{Revoke: true})
	want("Update", err)
	if ok {
		t.Error("Update on a dead database reported a changed row")
	}
	_, err = s.ListByUser(ctx, "dead", epoch)
	want("ListByUser", err)
	_, err = s.RevokeByUser(ctx, "dead", "")
	want("RevokeByUser", err)
	_, err = s.(core.ExpiredDeleter).DeleteExpired(ctx, epoch)
	want("DeleteExpired", err)
	_, err = s.(core.AllRevoker).RevokeAll(ctx)
	want("RevokeAll", err)

	tk, err := e.RefreshTokens(ctx, liveToken, core.RefreshMeta{})
	if tk != nil {
		t.Error("Engine.Refresh over a dead database issued tokens")
	}
	if !errors.Is(err, core.ErrStore) {
		t.Errorf("Engine.Refresh over a dead database: %v, want an error matching core.ErrStore", err)
	}
	if errors.Is(err, core.ErrUnauthorised) || errors.Is(err, core.ErrTokenTheft) {
		t.Errorf("Engine.Refresh over a dead database blamed the client: %v", err)
	}
}

// TestConnectionCut runs concurrent clients (refreshes, data writes, listings) through a TCP
// proxy, cuts every connection and the port in the middle of the run, then restores it. While
// the database is unreachable every operation fails with a store error (never theft, never
// "unauthorised"); afterwards nothing is lost (every acknowledged write is there, every
// client's refresh token still works) and nothing is revived (revoked sessions stay revoked).
func TestConnectionCut(t *testing.T) {
	for _, b := range backends {
		if !b.networked() {
			continue
		}
		t.Run(b.name, func(t *testing.T) { testConnectionCut(t, b) })
	}
}

type cutClient struct {
	user, handle string
	token        string
	acked        []string // data items whose write was acknowledged
	revoked      bool
}

func testConnectionCut(t *testing.T, b backend) {
	ctx := context.Background()
	direct, dsn := b.open(t, testdb.Quiet())
	liveStore, err := gormstore.New(direct, gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, b.addr(t, dsn))
	viaDB, err := gorm.Open(b.dialector(b.via(t, dsn, px.addr)), testdb.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	testdb.Pool(t, viaDB)
	s, err := gormstore.New(viaDB, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newEngine(t, s)

	const workers = 16
	clients := make([]*cutClient, workers+4)
	for i := range clients {
		user := fmt.Sprintf("user-%d", i%4)
		tk, err := e.IssueTokens(ctx, user, core.CreateOptions{Data: map[string]any{"items": []any{}}})
		if err != nil {
			t.Fatal(err)
		}
		clients[i] = &cutClient{user: user, handle: tk.Handle, token: tk.RefreshToken}
	}
	// The last four are revoked before the run; the workers keep presenting their tokens.
	for _, c := range clients[workers:] {
		if ok, err := e.RevokeSession(ctx, c.handle); !ok || err != nil {
			t.Fatal(ok, err)
		}
		c.revoked = true
	}

	var (
		mu                        sync.Mutex
		phase                     int // 0 running, 1 cut, 2 restored, 3 stop
		okBefore, failed, okAfter int
	)
	// report advances the phases: cut after 64 successes, restore after 48 failures, stop
	// after 64 successes with the database back.
	report := func(err error) int {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case phase == 0 && err == nil:
			if okBefore++; okBefore == 64 {
				px.cut()
				phase = 1
			}
		case phase == 1 && err != nil:
			if failed++; failed == 48 {
				px.restore()
				phase = 2
			}
		case phase == 2 && err == nil:
			if okAfter++; okAfter == 64 {
				phase = 3
			}
		}
		return phase
	}
	clientErr := func(op string, err error) {
		if err != nil && !errors.Is(err, core.ErrStore) {
			t.Errorf("%s: %v: a database outage must surface as core.ErrStore", op, err)
		}
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, dead := clients[w], clients[workers+w%4]
			for i := 0; ; i++ {
				var err error
				switch i % 4 {
				case 0, 1:
					var tk *core.Tokens
					if tk, err = e.RefreshTokens(ctx, c.token, core.RefreshMeta{}); err == nil {
						c.token = tk.RefreshToken
					}
					clientErr("refresh", err)
				case 2:
					item := fmt.Sprintf("w%d-%d", w, i)
					err = e.UpdateData(ctx, c.handle, func(m map[string]any) error {
						items, _ := m["items"].([]any)
						m["items"] = append(items, item)
						return nil
					})
					if err == nil {
						c.acked = append(c.acked, item)
					}
					clientErr("update data", err)
				case 3:
					if _, err = e.RefreshTokens(ctx, dead.token, core.RefreshMeta{}); err == nil {
						t.Errorf("a revoked session was refreshed")
					} else if errors.Is(err, core.ErrUnauthorised) {
						err = nil // the expected answer while the database is up
					} else {
						clientErr("refresh revoked", err)
					}
				}
				if report(err) == 3 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Outage checks, deterministic this time: cut again and call every operation.
	px.cut()
	c0 := clients[0]
	checkAllFail(t, s, e, c0.handle, c0.token)
	// Once the pool has dropped its dead connections, the cause is visible to errors.Is.
	refused := false
	for range testdb.PoolSize + 2 {
		if _, err := s.Get(ctx, c0.handle); errors.Is(err, syscall.ECONNREFUSED) {
			refused = true
			break
		}
	}
	if !refused {
		t.Error("errors from a closed port never matched syscall.ECONNREFUSED")
	}
	px.restore()
	// The loop above stops at the first refusal, so the pool may still hold connections that
	// died in the cut; a driver notices those only when it uses them (one failed request that
	// a client retries). Drop them, so the checks below judge the data and not the pool.
	if sqlDB, err := viaDB.DB(); err == nil {
		sqlDB.SetMaxIdleConns(0)
		sqlDB.SetMaxIdleConns(testdb.PoolSize)
	}

	// Nothing lost, nothing revived.
	var n int64
	if err := direct.Table(liveStore.SessionsTable()).Count(&n).Error; err != nil || n != int64(len(clients)) {
		t.Errorf("%d rows after the outage (err %v), want %d", n, err, len(clients))
	}
	for _, c := range clients {
		rec := mustGet(t, liveStore, c.handle)
		if rec.Revoked != c.revoked {
			t.Errorf("session %s: revoked=%v, want %v", c.handle, rec.Revoked, c.revoked)
		}
		_, err := e.RefreshTokens(ctx, c.token, core.RefreshMeta{})
		switch {
		case c.revoked && !errors.Is(err, core.ErrUnauthorised):
			t.Errorf("revoked session %s: refresh = %v, want unauthorised", c.handle, err)
		case !c.revoked && err != nil:
			t.Errorf("session %s: the client's last token no longer refreshes: %v", c.handle, err)
		}
		if c.revoked {
			continue
		}
		d, err := e.SessionInfo(ctx, c.handle)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		items, _ := d.Data["items"].([]any)
		for _, it := range items {
			have[fmt.Sprint(it)] = true
		}
		for _, it := range c.acked {
			if !have[it] {
				t.Errorf("session %s: acknowledged data item %s was lost", c.handle, it)
			}
		}
	}
	t.Logf("%d operations succeeded before the cut, %d failed during it, %d succeeded after", okBefore, failed, okAfter)
}

// TestClosedPool closes the *sql.DB under a store (on every database, SQLite included): every
// operation fails with a wrapped error; a new pool on the same database finds everything as
// it was.
func TestClosedPool(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db, dsn := b.open(t, testdb.Quiet())
		s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := newEngine(t, s)
		live, err := e.IssueTokens(ctx, "erin", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := e.IssueTokens(ctx, "erin", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.RevokeSession(ctx, gone.Handle); err != nil {
			t.Fatal(err)
		}
		sqlDB, _ := db.DB()
		_ = sqlDB.Close()
		checkAllFail(t, s, e, live.Handle, live.RefreshToken)
		if _, err := s.Get(ctx, live.Handle); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Get on a closed pool: %v", err)
		}

		db2, err := gorm.Open(b.dialector(dsn), testdb.Quiet())
		if err != nil {
			t.Fatal(err)
		}
		testdb.Pool(t, db2)
		s2, err := gormstore.New(db2, gormstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		e2, _ := newEngine(t, s2)
		if _, err := e2.RefreshTokens(ctx, live.RefreshToken, core.RefreshMeta{}); err != nil {
			t.Errorf("live session after reconnecting: %v", err)
		}
		if _, err := e2.RefreshTokens(ctx, gone.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
			t.Errorf("revoked session after reconnecting: %v, want unauthorised", err)
		}
	})
}

// TestClosedPortNew: New over a database that cannot be reached fails, with the cause visible.
func TestClosedPortNew(t *testing.T) {
	for _, b := range backends {
		if !b.networked() {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			_, dsn := b.open(t, testdb.Quiet())
			px := newProxy(t, b.addr(t, dsn))
			px.cut() // a port that was just open and is now closed
			cfg := testdb.Quiet()
			cfg.DisableAutomaticPing = true
			db, err := gorm.Open(b.dialector(b.via(t, dsn, px.addr)), cfg)
			if err != nil {
				// The MySQL dialector queries the server version while opening.
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Errorf("gorm.Open over a closed port: %v, want ECONNREFUSED", err)
				}
				return
			}
			testdb.Pool(t, db)
			_, err = gormstore.New(db, gormstore.Options{AutoMigrate: true})
			if err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("New over a closed port: %v, want an error matching ECONNREFUSED", err)
			}
		})
	}
}

// TestDeadline: an operation blocked by the database (a row lock held by another
// transaction) returns when its context's deadline passes, with an error matching
// context.DeadlineExceeded (and core.ErrStore through the engine), and issues nothing.
//
// Neither driver cancels the statement on the server by default (pgx v5 and go-sql-driver/mysql
// both drop the connection): the server may still finish the statement once the lock is
// released, like any write whose connection is lost after it was sent. The caller has been
// told it failed, and the rotation design makes that safe: the client's token keeps working
// either way (a landed rotation is replayed inside the grace window), and a landed data write
// is complete (data and version together).
//
// SQLite is not covered here: a lock wait there is bounded by busy_timeout, not by the context
// (see TestSQLiteBusy and docs/GORM.md).
func TestDeadline(t *testing.T) {
	for _, b := range backends {
		if !b.networked() {
			continue
		}
		t.Run(b.name, func(t *testing.T) { testDeadline(t, b) })
	}
}

func testDeadline(t *testing.T, b backend) {
	s, db := newStore(t, b, gormstore.Options{})
	e, _ := newEngine(t, s)
	ctx := context.Background()
	tk, err := e.IssueTokens(ctx, "frank", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	release := holdLock(t, b, db, s.SessionsTable(), tk.Handle)
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	ok, err := s.Update(dctx, tk.Handle, core.Cond{Version: 1}, core.Change{Data: []byte(`{"late":true}`)})
	cancel()
	var se *gormstore.Error
	if ok || !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &se) {
		t.Errorf("Update past its deadline = %v, %v; want false and a *gormstore.Error matching DeadlineExceeded", ok, err)
	}
	dctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
	got, err := e.RefreshTokens(dctx, tk.RefreshToken, core.RefreshMeta{})
	cancel()
	if got != nil || !errors.Is(err, core.ErrStore) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Refresh past its deadline = %v, %v; want no tokens, ErrStore and DeadlineExceeded", got != nil, err)
	}
	release()

	rec := mustGet(t, s, tk.Handle)
	t.Logf("after the lock: rotation landed=%v, data write landed=%v", rec.PreviousHash != "", rec.Version == 2)
	if (rec.Version == 1) != (string(rec.Data) == "{}") {
		t.Errorf("half-applied data write: version %d, data %s", rec.Version, rec.Data)
	}
	if rec.Revoked {
		t.Error("the session was revoked")
	}
	if _, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Errorf("the client's token after the lock was released: %v", err)
	}
}

// TestCancelledRefresh: a refresh with a cancelled context fails with ErrStore and
// context.Canceled and writes nothing.
func TestCancelledRefresh(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		s, _ := newStore(t, b, gormstore.Options{})
		e, _ := newEngine(t, s)
		tk, err := e.IssueTokens(context.Background(), "gina", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		got, err := e.RefreshTokens(ctx, tk.RefreshToken, core.RefreshMeta{})
		if got != nil || !errors.Is(err, core.ErrStore) || !errors.Is(err, context.Canceled) {
			t.Errorf("Refresh(cancelled) = %v, %v", got != nil, err)
		}
		if rec := mustGet(t, s, tk.Handle); rec.PreviousHash != "" {
			t.Error("a cancelled refresh rotated the token")
		}
	})
}

// holdLock blocks writers of handle's row until release is called: a transaction holding the
// row lock (PostgreSQL, MySQL) or SQLite's database write lock.
func holdLock(t *testing.T, b backend, db *gorm.DB, table, handle string) (release func()) {
	t.Helper()
	ctx := context.Background()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{"BEGIN", "SELECT handle FROM " + table + " WHERE handle = '" + handle + "' FOR UPDATE"}
	if b.name == "sqlite" {
		stmts = []string{"BEGIN IMMEDIATE"}
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Errorf("ROLLBACK: %v", err)
			}
			_ = conn.Close()
		})
	}
	t.Cleanup(release)
	return release
}
