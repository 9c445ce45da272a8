package httpratchet_test

import (
	"context"
	"crypto/ed25519"
	"github.com/ratchetauth/ratchet/internal/testkit"
	"log/slog"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// discardWriter is the cheapest possible ResponseWriter, so the benchmark measures the
// middleware rather than httptest.ResponseRecorder.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }

func benchSetup(b *testing.B, cfg core.Config) (*httpratchet.Adapter, *core.Tokens, *core.SigningKey) {
	b.Helper()
	key, err := core.GenerateKey(core.AlgEdDSA)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Keys, err = core.NewStaticKeyRing(key)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Store = memory.New()
	cfg.Logger = slog.New(slog.DiscardHandler)
	e, err := core.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := e.IssueTokens(context.Background(), "user-1", core.CreateOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return httpratchet.New(e), tok, key
}

func benchMiddleware(b *testing.B, cfg core.Config, cookie bool) {
	a, tok, _ := benchSetup(b, cfg)
	ok := 0
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, _ := httpratchet.Session(r.Context()); s != nil {
			ok++
		}
	}))
	req, _ := http.NewRequest("GET", "http://api.test/api/me", nil)
	if cookie {
		access, _ := testkit.CookieNames(a.Engine())
		req.Header.Set("Cookie", access+"="+tok.AccessToken)
	} else {
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	}
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req) // warm the cache
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		h.ServeHTTP(w, req)
	}
	b.StopTimer()
	if ok != b.N+1 {
		b.Fatalf("%d of %d requests had a session (status %d)", ok, b.N+1, w.status)
	}
}

// BenchmarkGetSessionWarm: a repeat token, answered by the verified-token cache.
func BenchmarkGetSessionWarm(b *testing.B) { benchMiddleware(b, core.Config{}, false) }

// BenchmarkGetSessionWarmCookie: the same through the access cookie.
func BenchmarkGetSessionWarmCookie(b *testing.B) { benchMiddleware(b, core.Config{}, true) }

// BenchmarkGetSessionCold: every request verifies the EdDSA signature (cache off).
func BenchmarkGetSessionCold(b *testing.B) {
	benchMiddleware(b, core.Config{DisableVerifyCache: true}, false)
}

// BenchmarkGolangJWTParseVerify: golang-jwt/v5 parse + EdDSA verify of the same token, the
// baseline a JWT-only middleware pays on every request.
func BenchmarkGolangJWTParseVerify(b *testing.B) {
	_, tok, key := benchSetup(b, core.Config{})
	pub := key.Private.Public().(ed25519.PublicKey)
	parser := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}))
	keyfunc := func(*jwt.Token) (any, error) { return pub, nil }
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := parser.Parse(tok.AccessToken, keyfunc); err != nil {
			b.Fatal(err)
		}
	}
}
