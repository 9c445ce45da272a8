package gormtest

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// recordingPool is a gorm.ConnPool that remembers the last statement (with its arguments)
// matching each of a few patterns, so that a test can EXPLAIN exactly what the store sent.
type recordingPool struct {
	*sql.DB
	mu   sync.Mutex
	seen map[string]recorded
}

type recorded struct {
	query string
	args  []any
}

func (p *recordingPool) record(query string, args []any) {
	var kind string
	switch {
	case strings.HasPrefix(query, "UPDATE") && strings.Contains(query, "current_hash ="):
		kind = "refresh"
	case strings.HasPrefix(query, "SELECT") && strings.Contains(query, "user_id ="):
		kind = "list"
	case strings.HasPrefix(query, "SELECT") && strings.Contains(query, "handle ="):
		kind = "get"
	default:
		return
	}
	p.mu.Lock()
	p.seen[kind] = recorded{query, args}
	p.mu.Unlock()
}

func (p *recordingPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	p.record(query, args)
	return p.DB.ExecContext(ctx, query, args...)
}

func (p *recordingPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	p.record(query, args)
	return p.DB.QueryContext(ctx, query, args...)
}

// TestExplainPostgres: on a table of 100,000 sessions (5,000 users, 10% revoked, all others
// live at the engine's clock), the statements a refresh
// sends (SELECT by handle, conditional UPDATE by handle) and the list query use indexes, never
// a sequential scan. Run with -v to see the plans (reproduced in docs/GORM.md).
func TestExplainPostgres(t *testing.T) {
	ctx := context.Background()
	db, _ := openPostgres(t, quietConfig())
	if _, err := gormstore.New(db, gormstore.Options{AutoMigrate: true}); err != nil {
		t.Fatal(err)
	}
	err := db.Exec(`INSERT INTO sessions (handle, user_id, secret, current_hash, previous_hash, rotated_at,
		created_at, expires_at, last_active_at, revoked, version, write_seq, data, payload, ip, user_agent)
	SELECT 'h' || g, 'u' || (g % 5000), NULL, md5(g::text) || md5(g::text), '', t, t,
		t + interval '30 days', t, g % 10 = 0, 1, 0, '{}', '{}', '', ''
	FROM generate_series(1, 100000) AS g,
		LATERAL (SELECT ?::timestamptz - (g % 1000) * interval '1 minute' AS t) AS ts`, epoch).Error
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("ANALYZE sessions").Error; err != nil {
		t.Fatal(err)
	}

	raw, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordingPool{DB: raw, seen: map[string]recorded{}}
	viaRec, err := gorm.Open(postgres.New(postgres.Config{Conn: rec}), quietConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := gormstore.New(viaRec, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newEngine(t, s)
	tk, err := e.Issue(ctx, "u42", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Refresh(ctx, tk.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.ListSessions(ctx, "u42"); err != nil {
		t.Fatal(err)
	}

	for _, kind := range []string{"get", "refresh", "list"} {
		st, ok := rec.seen[kind]
		if !ok {
			t.Fatalf("no %s statement recorded", kind)
		}
		rows, err := raw.QueryContext(ctx, "EXPLAIN "+st.query, st.args...)
		if err != nil {
			t.Fatalf("EXPLAIN %s: %v", st.query, err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		_ = rows.Close()
		text := strings.Join(plan, "\n")
		t.Logf("%s:\n%s\n%s", kind, st.query, text)
		if strings.Contains(text, "Seq Scan") || !strings.Contains(text, "Index") {
			t.Errorf("%s does not use an index:\n%s", kind, text)
		}
	}
}
