package bench

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	jwtmw "github.com/appleboy/gin-jwt/v2"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v4"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// sink is a minimal http.ResponseWriter, reset between requests, so that the figures measure
// gin and the middleware rather than httptest.ResponseRecorder's allocations.
type sink struct {
	h      http.Header
	status int
	body   []byte
}

func (w *sink) Header() http.Header         { return w.h }
func (w *sink) WriteHeader(status int)      { w.status = status }
func (w *sink) Write(b []byte) (int, error) { w.body = append(w.body, b...); return len(b), nil }
func (w *sink) reset() {
	clear(w.h)
	w.status, w.body = 0, w.body[:0]
}

// fixture is one signing key shared by every variant, and an access token issued by ratchet.
type fixture struct {
	key   *core.SigningKey
	store *memory.Store
	token string
}

func newFixture(b *testing.B) *fixture {
	b.Helper()
	k, err := core.GenerateKey(core.AlgEdDSA)
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{key: k, store: memory.New()}
	e := f.engine(b, false)
	t, err := e.IssueTokens(context.Background(), "user-1", core.CreateOptions{Payload: map[string]any{"role": "admin"}})
	if err != nil {
		b.Fatal(err)
	}
	f.token = t.AccessToken
	return f
}

// engine builds an engine over the shared key and store, with or without the verify cache.
func (f *fixture) engine(b *testing.B, noCache bool) *core.Engine {
	b.Helper()
	ring, err := core.NewStaticKeyRing(f.key)
	if err != nil {
		b.Fatal(err)
	}
	e, err := core.New(core.Config{Store: f.store, Keys: ring, DisableVerifyCache: noCache})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// run serves GET /api/me with "Authorization: Bearer <token>" b.N times, after checking that
// the route answers 200 "user-1" (so a benchmark can never measure an error path).
func run(b *testing.B, h http.Handler, token string) {
	b.Helper()
	req := httptest.NewRequest("GET", "/api/me", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := &sink{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != 200 || string(w.body) != "user-1" {
		b.Fatalf("warm-up: %d %q", w.status, w.body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		h.ServeHTTP(w, req)
	}
	b.StopTimer()
	if w.status != 200 {
		b.Fatalf("last request: %d %q", w.status, w.body)
	}
}

func router(handlers ...gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/api/me", handlers...)
	return r
}

// BenchmarkBare is gin with no authentication: the handler writes a constant user id.
func BenchmarkBare(b *testing.B) {
	run(b, router(func(c *gin.Context) { c.String(200, "user-1") }), "")
}

func ratchetHandler(c *gin.Context) { c.String(200, ginratchet.MustSession(c).UserID()) }

// BenchmarkRatchetRequire is the adapter's Require on a warm token: the engine has verified
// it before, so the verify cache answers.
func BenchmarkRatchetRequire(b *testing.B) {
	f := newFixture(b)
	a := ginratchet.New(f.engine(b, false))
	run(b, router(a.Require, ratchetHandler), f.token)
}

// BenchmarkRatchetRequireNoCache is Require with the verify cache off: a full EdDSA
// signature check and claim validation on every request, the same work gin-jwt does.
func BenchmarkRatchetRequireNoCache(b *testing.B) {
	f := newFixture(b)
	a := ginratchet.New(f.engine(b, true))
	run(b, router(a.Require, ratchetHandler), f.token)
}

// BenchmarkRatchetStrict is Strict (CheckDatabase) on a warm token over the memory store.
func BenchmarkRatchetStrict(b *testing.B) {
	f := newFixture(b)
	a := ginratchet.New(f.engine(b, false))
	run(b, router(a.RequireStoreCheck, ratchetHandler), f.token)
}

// BenchmarkGinJWT is appleboy/gin-jwt verifying the same token. gin-jwt's own key settings
// know only HS* and RS*, so EdDSA goes through its KeyFunc hook, restricted to EdDSA.
func BenchmarkGinJWT(b *testing.B) {
	f := newFixture(b)
	pub := f.key.Private.Public().(ed25519.PublicKey)
	mw, err := jwtmw.New(&jwtmw.GinJWTMiddleware{
		Realm:       "bench",
		IdentityKey: "sub",
		KeyFunc: func(t *jwt.Token) (any, error) {
			if t.Method != jwt.SigningMethodEdDSA {
				return nil, errors.New("unexpected signing method")
			}
			return pub, nil
		},
		ParseOptions: []jwt.ParserOption{jwt.WithValidMethods([]string{"EdDSA"})},
	})
	if err != nil {
		b.Fatal(err)
	}
	run(b, router(mw.MiddlewareFunc(), func(c *gin.Context) {
		id, _ := c.Get("sub")
		s, _ := id.(string)
		c.String(200, s)
	}), f.token)
}
