package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// router is net/http's ServeMux with h at GET /api/me.
func router(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/me", h)
	return mux
}

// ratchetRouter protects /api/me with the adapter's Require over e.
func ratchetRouter(e *core.Engine) http.Handler {
	return router(httpratchet.New(e).Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		benchkit.Respond(w, httpratchet.MustSession(r.Context()).UserID())
	})))
}

type subKey struct{}

// jwtMiddleware is NOT a published middleware: net/http has no "usual" JWT middleware, so this
// is the plain one people write around github.com/golang-jwt/jwt/v5: take the Bearer token,
// parse and verify it with one algorithm and key, put its subject on the request's context, or
// answer 401.
func jwtMiddleware(alg string, key any) func(http.Handler) http.Handler {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
	keyFunc := func(*jwt.Token) (any, error) { return key, nil }
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			tok, err := parser.Parse(raw, keyFunc)
			if err != nil || !tok.Valid {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			sub, err := tok.Claims.GetSubject()
			if err != nil || sub == "" {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), subKey{}, sub)))
		})
	}
}

func jwtRouter(alg string, key any) http.Handler {
	return router(jwtMiddleware(alg, key)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		benchkit.Respond(w, r.Context().Value(subKey{}).(string))
	})))
}

// scsRow is alexedwards/scs with store (nil: its default, the memory store): a session cookie
// made by a sign-in handler that puts the user id in the session, then GET /api/me behind
// LoadAndSave, whose handler reads the user id back (401 when the session has none).
func scsRow(tb testing.TB, name string, store scs.Store) benchkit.Row {
	tb.Helper()
	sm := scs.New()
	if store != nil {
		sm.Store = store
	}
	login := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sm.Put(r.Context(), "userID", benchkit.UserID)
	}))
	rec := httptest.NewRecorder()
	login.ServeHTTP(rec, httptest.NewRequest("POST", "/login", nil))
	var token string
	for _, c := range rec.Result().Cookies() {
		if c.Name == sm.Cookie.Name {
			token = c.Value
		}
	}
	if rec.Code != http.StatusOK || token == "" {
		tb.Fatalf("scs sign-in: %d, no %s cookie", rec.Code, sm.Cookie.Name)
	}
	h := router(sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid := sm.GetString(r.Context(), "userID")
		if uid == "" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		benchkit.Respond(w, uid)
	})))
	return benchkit.Row{Name: name, Handler: h,
		Req: benchkit.Get("Cookie", sm.Cookie.Name+"="+token),
		Bad: benchkit.Get("Cookie", sm.Cookie.Name+"="+benchkit.Tampered(token))}
}

// scsPostgres is scsRow over scs's PostgreSQL store (pgxstore, on pgx v5) in a schema of its
// own (testdb: dropped at the end; a missing server fails under CI=true and skips loudly
// elsewhere). The pool closes before the schema is dropped.
func scsPostgres(tb testing.TB) benchkit.Row {
	tb.Helper()
	db := testdb.NewPostgres(tb, "scs_bench_")
	pool, err := pgxpool.New(context.Background(), db.DSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	// The table and index scs's PostgreSQL stores document.
	if _, err := pool.Exec(context.Background(), `CREATE TABLE sessions (token TEXT PRIMARY KEY, data BYTEA NOT NULL, expiry TIMESTAMPTZ NOT NULL);
		CREATE INDEX sessions_expiry_idx ON sessions (expiry)`); err != nil {
		tb.Fatal(err)
	}
	store := pgxstore.NewWithCleanupInterval(pool, 0) // no cleanup goroutine
	return scsRow(tb, "scs_postgres", store)
}

// rows are the variants of one side-by-side run that need no database, all on the fixture's
// claims and user.
func rows(tb testing.TB) []benchkit.Row {
	f := benchkit.NewFixture(tb)
	row := func(name string, h http.Handler, tok string) benchkit.Row {
		return benchkit.Row{Name: name, Handler: h, Req: benchkit.Request(tok), Bad: benchkit.Request(benchkit.Tampered(tok))}
	}
	return []benchkit.Row{
		{Name: "bare", Handler: router(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			benchkit.Respond(w, benchkit.UserID)
		})), Req: benchkit.Request(f.Token)},
		row("ratchet_warm", ratchetRouter(f.Warm), f.Token),
		row("ratchet_cold", ratchetRouter(f.Cold), f.Token),
		row("golangjwt_mw_hs256", jwtRouter("HS256", f.HS256Key), f.HS256Token),
		row("golangjwt_mw_eddsa", jwtRouter("EdDSA", f.PublicKey), f.Token),
		scsRow(tb, "scs_memory", nil),
	}
}

// BenchmarkNetHTTP is one GET /api/me through net/http's ServeMux per op, in every row of the
// same run: the bare mux, ratchet's Require on a warm token (verify cache on) and cold (cache
// off: the EdDSA signature is verified on every request), a plain golang-jwt middleware with
// HS256 and EdDSA, and alexedwards/scs's LoadAndSave over its memory store and its PostgreSQL
// store (pgxstore), the session holding the user id. The same handler body in every row; the
// credential is the Authorization header, or scs's session cookie.
func BenchmarkNetHTTP(b *testing.B) {
	benchkit.RunRows(b, rows(b))
	b.Run("scs_postgres", func(b *testing.B) {
		r := scsPostgres(b)
		benchkit.Loop(b, r.Handler, r.Req)
	})
}

// TestSameWork: every row answers 200 with the user id, and every authenticating row refuses
// a tampered credential, so the benchmark never measures a shortcut.
func TestSameWork(t *testing.T) {
	benchkit.CheckRows(t, rows(t))
	t.Run("scs_postgres", func(t *testing.T) { benchkit.CheckRows(t, []benchkit.Row{scsPostgres(t)}) })
}
