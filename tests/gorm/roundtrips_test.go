package gormtest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// countingPool is a gorm.ConnPool that counts the round trips a store makes: every statement
// sent on the pool, and every transaction begun (whose statements it cannot see, so a test
// requires none).
type countingPool struct {
	*sql.DB
	mu         sync.Mutex
	statements []string
	txs        int
}

func (p *countingPool) note(q string) {
	p.mu.Lock()
	p.statements = append(p.statements, q)
	p.mu.Unlock()
}

func (p *countingPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	p.note(q)
	return p.DB.ExecContext(ctx, q, args...)
}

func (p *countingPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.note(q)
	return p.DB.QueryContext(ctx, q, args...)
}

func (p *countingPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	p.note(q)
	return p.DB.QueryRowContext(ctx, q, args...)
}

func (p *countingPool) PrepareContext(ctx context.Context, q string) (*sql.Stmt, error) {
	p.note("PREPARE " + q)
	return p.DB.PrepareContext(ctx, q)
}

func (p *countingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	p.mu.Lock()
	p.txs++
	p.mu.Unlock()
	return p.DB.BeginTx(ctx, opts)
}

// take returns what was counted since the last take.
func (p *countingPool) take() (statements []string, txs int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	statements, txs = p.statements, p.txs
	p.statements, p.txs = nil, 0
	return statements, txs
}

// maxRefreshRoundTrips is what a rotation costs in the common case: one conditional UPDATE
// (core.Rotator, docs/ROTATION.md "One round trip"), when the engine knows the session.
const maxRefreshRoundTrips = 1

// TestRefreshRoundTrips counts the statements one refresh (a rotation, the common case) sends
// to the database, through a wrapper around the store's connection pool, on each database.
// An engine that did not sign the session in (another instance) pays one read on its first
// refresh, and one statement on every refresh after it.
func TestRefreshRoundTrips(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		db := migratedDB(t, b)
		raw, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		pool := &countingPool{DB: raw}
		s := storeOnPool(t, b, pool, gormstore.Options{})
		e, _ := newEngine(t, s)
		other, _ := newEngine(t, s)
		tok, err := e.IssueTokens(ctx, "user-1", core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		refresh := func(e *core.Engine) []string {
			t.Helper()
			pool.take()
			if tok, err = e.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
				t.Fatal(err)
			}
			statements, txs := pool.take()
			if txs != 0 {
				t.Fatalf("a refresh began %d transactions; want none:\n%q", txs, statements)
			}
			return statements
		}
		for i := range 3 {
			statements := refresh(e)
			if len(statements) != maxRefreshRoundTrips || !strings.HasPrefix(strings.TrimSpace(statements[0]), "UPDATE") {
				t.Fatalf("refresh %d sent %d statements; want %d UPDATE:\n%q", i+1, len(statements), maxRefreshRoundTrips, statements)
			}
		}
		// The other engine reads the row once (the rotation it then writes is the plain
		// conditional UPDATE), and knows the session from then on.
		if statements := refresh(other); len(statements) != 2 {
			t.Fatalf("first refresh on another engine sent %d statements; want the read and the write:\n%q", len(statements), statements)
		}
		if statements := refresh(other); len(statements) != maxRefreshRoundTrips {
			t.Fatalf("second refresh on another engine sent %d statements; want %d:\n%q", len(statements), maxRefreshRoundTrips, statements)
		}
		// The engine that signed in now holds a stale picture of nothing it relies on: the
		// secret never changes and the row's version is the same, so it rotates in one again.
		if statements := refresh(e); len(statements) != maxRefreshRoundTrips {
			t.Fatalf("refresh back on the first engine sent %d statements; want %d:\n%q", len(statements), maxRefreshRoundTrips, statements)
		}
	})
}
