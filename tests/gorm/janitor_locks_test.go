package gormtest

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// janitorPool is a connection pool that sends every DELETE of the sessions table on hold, a
// connection in a transaction the test commits, and the rest as usual.
type janitorPool struct {
	*sql.DB
	hold    *sql.Conn
	mu      sync.Mutex
	deletes []string
}

func (p *janitorPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if strings.HasPrefix(query, "DELETE") && strings.Contains(query, "sessions") {
		p.mu.Lock()
		p.deletes = append(p.deletes, query)
		p.mu.Unlock()
		return p.hold.ExecContext(ctx, query, args...)
	}
	return p.DB.ExecContext(ctx, query, args...)
}

// TestJanitorLocksNoLiveSession: while the janitor's deletes (DeleteExpired) hold their locks,
// every live session can still be locked at once, so no refresh waits for the janitor. On
// MariaDB a single DELETE whose condition no index serves locks every row it scans, live ones
// included, until it ends, and a DELETE by an index range locks the row past the range; both
// fail this test there.
//
// The table holds live, expired, revoked and pre-version-2 revoked sessions. The janitor's
// DELETE statements are sent inside a transaction the test keeps open; another connection
// then locks each live session with FOR UPDATE NOWAIT; then the transaction commits and the
// janitor must have deleted exactly the expired and revoked sessions.
func TestJanitorLocksNoLiveSession(t *testing.T) {
	for _, name := range []string{"postgres", "mysql"} {
		t.Run(name, func(t *testing.T) { testJanitorLocksNoLiveSession(t, backendNamed(t, name)) })
	}
}

func testJanitorLocksNoLiveSession(t *testing.T, b backend) {
	ctx := context.Background()
	db := migratedDB(t, b)
	raw, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	hold, _ := dedicated(t, db)
	pool := &janitorPool{DB: raw, hold: hold}
	storeClock := core.NewFakeClock(epoch)
	s := storeOnPool(t, b, pool, gormstore.Options{Clock: storeClock, FeedRetention: time.Hour})
	past := epoch.Add(-60 * 24 * time.Hour) // sessions signed in then have expired by epoch
	now, then := newEngineAt(t, s, epoch), newEngineAt(t, s, past)
	issue := func(e *core.Engine, user string) string {
		t.Helper()
		tk, err := e.IssueTokens(ctx, user, core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tk.Handle
	}
	// 3 expired, 3 revoked two hours before epoch (beyond FeedRetention) and 3 revoked before
	// schema version 2 (revoked_at NULL) sessions, and 20 live ones.
	var garbage, live []string
	for range 3 {
		garbage = append(garbage, issue(then, "expired"))
		storeClock.Set(epoch.Add(-2 * time.Hour))
		revoked := issue(now, "revoked")
		if ok, err := now.RevokeSession(ctx, revoked); !ok || err != nil {
			t.Fatal(ok, err)
		}
		storeClock.Set(epoch)
		legacy := issue(now, "legacy")
		if err := db.Exec("UPDATE sessions SET revoked = true, revoked_at = NULL WHERE handle = ?", legacy).Error; err != nil {
			t.Fatal(err)
		}
		garbage = append(garbage, revoked, legacy)
	}
	for i := range 20 {
		live = append(live, issue(now, "live"+string(rune('a'+i))))
	}

	if _, err := hold.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	committed := false
	t.Cleanup(func() {
		if !committed {
			_, _ = hold.ExecContext(ctx, "ROLLBACK")
		}
	})
	n, err := s.DeleteExpired(ctx, epoch)
	if err != nil || n != int64(len(garbage)) {
		t.Fatalf("DeleteExpired = %d, %v; want the %d expired and revoked sessions", n, err, len(garbage))
	}
	pool.mu.Lock()
	deletes := strings.Join(pool.deletes, "\n")
	pool.mu.Unlock()
	t.Logf("the janitor's deletes:\n%s", deletes)

	probe, _ := dedicated(t, db)
	for _, h := range live {
		if _, err := probe.ExecContext(ctx, "BEGIN"); err != nil {
			t.Fatal(err)
		}
		var got string
		err := probe.QueryRowContext(ctx, placeholders(b, "SELECT handle FROM sessions WHERE handle = ? FOR UPDATE NOWAIT"), h).Scan(&got)
		if _, rerr := probe.ExecContext(ctx, "ROLLBACK"); rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			t.Fatalf("live session %s is locked by the janitor (%v):\n%s", h, err, deletes)
		}
	}

	if _, err := hold.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	committed = true
	for _, h := range live {
		mustGet(t, s, h)
	}
	for _, h := range garbage {
		if _, err := s.Get(ctx, h); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("session %s survived the janitor: %v", h, err)
		}
	}
}

// TestJanitorBatches: DeleteExpired deletes backlogs larger than one batch of each kind
// (expired, revoked beyond FeedRetention, revoked before schema version 2) and nothing else.
func TestJanitorBatches(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := migratedDB(t, b)
		s, err := gormstore.New(db, gormstore.Options{FeedRetention: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		exec := execer(t, db)
		makeDigits(exec)
		g := "(a.d + 10*b.d + 100*c.d + 1000*m.d)"
		handle := "CONCAT(?, " + g + ")"
		if b.name != "mysql" {
			handle = "? || " + g
		}
		// kind: a handle prefix, how many, expires_at, revoked, revoked_at.
		insert := func(prefix string, n int, expires time.Time, revoked bool, revokedAt *time.Time) {
			t.Helper()
			exec(`INSERT INTO sessions (handle, user_id, secret, current_hash, previous_hash, rotated_at, created_at,
				expires_at, last_active_at, revoked, version, write_seq, data, payload, ip, user_agent, idle_timeout_ms,
				absolute_expires_at, revoked_at, history)
			SELECT `+handle+`, 'u', NULL, 'x', '', ?, ?, ?, ?, ?, 1, 0, '{}', '{}', '', '', 0, NULL, ?, ''
			FROM digits a, digits b, digits c, digits m WHERE `+g+` < ?`,
				prefix, epoch, epoch, expires, epoch, revoked, revokedAt, n)
		}
		old := epoch.Add(-2 * time.Hour)
		recent := epoch.Add(-time.Minute)
		insert("expired", 2345, epoch.Add(-time.Second), false, nil)
		insert("revoked", 1100, epoch.Add(time.Hour), true, &old)
		insert("legacy", 1050, epoch.Add(time.Hour), true, nil)
		insert("live", 1200, epoch.Add(time.Hour), false, nil)
		insert("recent", 30, epoch.Add(-time.Second), true, &recent) // expired, but the feed still needs them
		n, err := s.DeleteExpired(ctx, epoch)
		if err != nil || n != 2345+1100+1050 {
			t.Fatalf("DeleteExpired = %d, %v; want %d", n, err, 2345+1100+1050)
		}
		var left []struct {
			Kind string
			N    int64
		}
		prefix := "SUBSTR(handle, 1, 4)"
		if err := db.Raw("SELECT " + prefix + " AS kind, COUNT(*) AS n FROM sessions GROUP BY " + prefix + " ORDER BY kind").
			Find(&left).Error; err != nil {
			t.Fatal(err)
		}
		if len(left) != 2 || left[0].Kind != "live" || left[0].N != 1200 || left[1].Kind != "rece" || left[1].N != 30 {
			t.Errorf("left after the janitor: %+v; want 1200 live and 30 recently revoked", left)
		}
	})
}
