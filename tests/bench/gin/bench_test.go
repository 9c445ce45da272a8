package bench

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"testing"

	jwtmw "github.com/appleboy/gin-jwt/v2"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v4"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/benchkit"
)

// respond is the one handler body of every row: 200 text/plain with the user id that the
// row's middleware established (gin's c.String with no format arguments writes it as is).
func respond(c *gin.Context, userID string) { c.String(http.StatusOK, userID) }

func router(handlers ...gin.HandlerFunc) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/api/me", handlers...)
	return r
}

// ratchetRouter protects /api/me with the adapter's Require over e.
func ratchetRouter(e *core.Engine) http.Handler {
	return router(ginratchet.New(e).Require, func(c *gin.Context) {
		respond(c, ginratchet.MustSession(c).UserID())
	})
}

// ginJWT protects /api/me with appleboy/gin-jwt configured by cfg; the handler reads the
// identity gin-jwt stored under IdentityKey ("sub").
func ginJWT(tb testing.TB, cfg *jwtmw.GinJWTMiddleware) http.Handler {
	tb.Helper()
	cfg.Realm, cfg.IdentityKey = "bench", "sub"
	mw, err := jwtmw.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return router(mw.MiddlewareFunc(), func(c *gin.Context) {
		id, _ := c.Get("sub")
		s, _ := id.(string)
		respond(c, s)
	})
}

// rows are the variants of one side-by-side run, all on the fixture's claims.
func rows(tb testing.TB) []benchkit.Row {
	f := benchkit.NewFixture(tb)
	rsTok, rsKey := f.RS256(tb)
	privDER, err := x509.MarshalPKCS8PrivateKey(rsKey)
	if err != nil {
		tb.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&rsKey.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	pub := f.PublicKey
	row := func(name string, h http.Handler, tok string) benchkit.Row {
		return benchkit.Row{Name: name, Handler: h, Req: benchkit.Request(tok), Bad: benchkit.Request(benchkit.Tampered(tok))}
	}
	bare := router(func(c *gin.Context) { respond(c, benchkit.UserID) })
	return []benchkit.Row{
		{Name: "bare", Handler: bare, Req: benchkit.Request(f.Token)},
		row("ratchet_warm", ratchetRouter(f.Warm), f.Token),
		row("ratchet_cold", ratchetRouter(f.Cold), f.Token),
		row("jwt_hs256", ginJWT(tb, &jwtmw.GinJWTMiddleware{Key: f.HS256Key, SigningAlgorithm: "HS256"}), f.HS256Token),
		row("jwt_rs256", ginJWT(tb, &jwtmw.GinJWTMiddleware{SigningAlgorithm: "RS256",
			PrivKeyBytes: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}),
			PubKeyBytes:  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}),
		}), rsTok),
		// gin-jwt's key settings know HS* and RS* only; its KeyFunc hook (which bypasses them)
		// verifies ratchet's own EdDSA token with the engine's key.
		row("jwt_eddsa_keyfunc", ginJWT(tb, &jwtmw.GinJWTMiddleware{
			KeyFunc: func(t *jwt.Token) (any, error) {
				if t.Method != jwt.SigningMethodEdDSA {
					return nil, errors.New("unexpected signing method")
				}
				return pub, nil
			},
			ParseOptions: []jwt.ParserOption{jwt.WithValidMethods([]string{"EdDSA"})},
		}), f.Token),
	}
}

// BenchmarkGin is one GET /api/me through gin per op, in every row of the same run: bare
// gin, ratchet's Require on a warm token (verify cache on) and cold (cache off: the EdDSA
// signature is verified on every request), and appleboy/gin-jwt with HS256, RS256 and (through
// its KeyFunc hook) EdDSA. The same handler body and request shape in every row.
func BenchmarkGin(b *testing.B) { benchkit.RunRows(b, rows(b)) }

// TestSameWork: every row answers 200 with the user id, and every authenticating row refuses
// a tampered token, so the benchmark never measures a shortcut.
func TestSameWork(t *testing.T) { benchkit.CheckRows(t, rows(t)) }
