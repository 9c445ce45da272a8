package interop

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/ratchetauth/ratchet/core"
)

// TestKeyfuncInterop verifies our access tokens with github.com/MicahParks/keyfunc/v3 (over
// github.com/MicahParks/jwkset, which validates every JWK it loads) and golang-jwt, through the
// served JWKS, across an emergency and a scheduled rotation, for every algorithm.
func TestKeyfuncInterop(t *testing.T) {
	srv, apps := newKeyServer(t)
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			app := apps[alg]
			url := srv.URL + "/" + strings.ToLower(alg) + "/auth/jwt/jwks.json"
			checkJWKSRoute(t, url)
			newVerifier := func() keyfunc.Keyfunc {
				kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{url}, keyfunc.Override{
					HTTPTimeout: 5 * time.Second,
					// Real time barely moves in this test, while the key server's clock jumps
					// days: allow every unknown-kid refresh (production keeps keyfunc's default).
					RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1),
					RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
						return func(_ context.Context, err error) { t.Errorf("keyfunc refresh: %v", err) }
					},
				})
				if err != nil {
					t.Fatal(err)
				}
				return kf
			}
			kf := newVerifier()
			verify := func(what, tok string, kf keyfunc.Keyfunc) error {
				_, err := jwt.Parse(tok, kf.Keyfunc, jwt.WithValidMethods([]string{alg}), jwt.WithIssuer(issuer),
					jwt.WithExpirationRequired(), jwt.WithTimeFunc(app.clock.Now))
				if err != nil {
					return fmt.Errorf("%s (kid %s): %w", what, kidOf(tok), err)
				}
				return nil
			}
			issue := func() string {
				tok, err := app.engine.IssueTokens(ctx, "interop-user", core.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				return tok.AccessToken
			}

			t1 := issue()
			if err := verify("first token", t1, kf); err != nil {
				t.Fatal(err)
			}
			// Emergency rotation: the new key is published at once and signs after the delay.
			k2, err := app.ring.RotateNow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			app.clock.Advance(core.DefaultSigningDelay)
			if err := app.ring.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			t2 := issue()
			if kidOf(t2) != k2 || kidOf(t1) == k2 {
				t.Fatalf("after RotateNow and the signing delay: token kid %s, want %s", kidOf(t2), k2)
			}
			for what, tok := range map[string]string{"token of the new key (unknown kid: refetch)": t2, "token of the old key": t1} {
				if err := verify(what, tok, kf); err != nil {
					t.Fatal(err)
				}
			}
			// Scheduled rotation a week later.
			app.clock.Advance(core.DefaultRotationInterval)
			if err := app.ring.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			app.clock.Advance(core.DefaultSigningDelay)
			if err := app.ring.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			t3 := issue()
			if k := kidOf(t3); k == k2 || k == kidOf(t1) {
				t.Fatalf("after a rotation interval the token is still signed by %s", k)
			}
			if err := verify("token of the scheduled key", t3, kf); err != nil {
				t.Fatal(err)
			}
			// A forgery: right kid, another key of the same algorithm.
			forged := forge(t, alg, kidOf(t3), app.clock.Now())
			if err := verify("forged token", forged, kf); err == nil {
				t.Fatal("keyfunc accepted a token signed by a key that is not in the JWKS")
			}
			// A revoked key leaves the JWKS: a fresh verifier refuses its tokens.
			if err := app.ring.RevokeKey(ctx, kidOf(t3)); err != nil {
				t.Fatal(err)
			}
			if err := verify("token of a revoked key, fresh verifier", t3, newVerifier()); err == nil {
				t.Fatal("a fresh keyfunc accepted a token of a revoked key")
			}
			if err := verify("token of the replacement key", issue(), kf); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkJWKSRoute fetches the JWKS once and checks its Cache-Control.
func checkJWKSRoute(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var maxAge int
	if _, err := fmt.Sscanf(resp.Header.Get("Cache-Control"), "max-age=%d, must-revalidate", &maxAge); err != nil ||
		resp.StatusCode != 200 || maxAge < 1 || maxAge > int(core.DefaultMaxJWKSAge/time.Second) {
		t.Fatalf("GET %s: %d, Cache-Control %q, body %s", url, resp.StatusCode, resp.Header.Get("Cache-Control"), body)
	}
}

// forge signs a token like ours with a fresh key that no JWKS lists.
func forge(t *testing.T, alg, kid string, now time.Time) string {
	t.Helper()
	k, err := core.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(alg), jwt.MapClaims{
		"sub": "interop-user", "iss": issuer, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k.Private)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
