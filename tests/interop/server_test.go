package interop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// issuer is the iss of every token the key server issues; verifiers check it.
const issuer = "https://interop.ratchet.test"

// algs are the three signing algorithms, each served under /<lowercase alg>/.
var algs = []string{core.AlgEdDSA, core.AlgES256, core.AlgRS256}

// algServer is one app: a store-backed key ring (default schedule: 7-day rotation, 60 s
// signing delay) with a fake clock, an engine, and its routes under /<alg>/auth.
type algServer struct {
	clock  *core.FakeClock
	ring   *core.StoreKeyRing
	engine *core.Engine
}

// newKeyServer starts, on loopback, one app per algorithm plus control routes that a remote
// verifier (the Node script) drives:
//
//	POST /<alg>/issue            → {"accessToken","kid"}: a session's access token
//	POST /<alg>/rotate           → {"kid"}: RotateNow (the new key is published at once)
//	POST /<alg>/advance?seconds= → advance the app's clock and reload the ring
//	POST /<alg>/revoke?kid=      → RevokeKey
//
// Time starts at the real now, so remote verifiers checking exp against their own clock agree.
func newKeyServer(t *testing.T) (*httptest.Server, map[string]*algServer) {
	t.Helper()
	mux := http.NewServeMux()
	apps := map[string]*algServer{}
	start := time.Now().Truncate(time.Second)
	for _, alg := range algs {
		prefix := "/" + strings.ToLower(alg)
		store := memory.New()
		clock := core.NewFakeClock(start)
		kek, _ := core.NewKEK()
		ring, err := core.NewStoreKeyRing(context.Background(), store, core.KeyRingOptions{
			Algorithm: alg, KEK: kek, Clock: clock, ReloadInterval: -1, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ring.Close() })
		e, err := core.New(core.Config{
			Store: store, Keys: ring, Clock: clock, Issuer: issuer, BasePath: prefix + "/auth",
			RevocationPollInterval: -1, Cookies: core.CookieConfig{Insecure: true}, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		app := &algServer{clock: clock, ring: ring, engine: e}
		apps[alg] = app
		mux.Handle(prefix+"/auth/", httpratchet.New(e).Handler())
		mux.HandleFunc("POST "+prefix+"/issue", func(w http.ResponseWriter, r *http.Request) {
			tok, err := e.IssueTokens(r.Context(), "interop-user", core.CreateOptions{})
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			writeJSON(w, map[string]string{"accessToken": tok.AccessToken, "kid": kidOf(tok.AccessToken)})
		})
		mux.HandleFunc("POST "+prefix+"/rotate", func(w http.ResponseWriter, r *http.Request) {
			kid, err := ring.RotateNow(r.Context())
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			writeJSON(w, map[string]string{"kid": kid})
		})
		mux.HandleFunc("POST "+prefix+"/advance", func(w http.ResponseWriter, r *http.Request) {
			s, err := strconv.Atoi(r.URL.Query().Get("seconds"))
			if err != nil || s < 0 {
				http.Error(w, "seconds", 400)
				return
			}
			clock.Advance(time.Duration(s) * time.Second)
			if err := ring.Reload(r.Context()); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			writeJSON(w, map[string]string{"signingKid": mustSigning(ring)})
		})
		mux.HandleFunc("POST "+prefix+"/revoke", func(w http.ResponseWriter, r *http.Request) {
			if err := ring.RevokeKey(r.Context(), r.URL.Query().Get("kid")); err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			writeJSON(w, map[string]string{"signingKid": mustSigning(ring)})
		})
	}
	srv := httptest.NewUnstartedServer(mux)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, apps
}

func mustSigning(r *core.StoreKeyRing) string {
	k, err := r.SigningKey()
	if err != nil {
		return ""
	}
	return k.ID
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// kidOf reads the kid from a token's header without verifying anything.
func kidOf(tok string) string {
	seg, _, _ := strings.Cut(tok, ".")
	var h struct{ Kid string }
	if raw, err := base64.RawURLEncoding.DecodeString(seg); err == nil {
		_ = json.Unmarshal(raw, &h)
	}
	return h.Kid
}
