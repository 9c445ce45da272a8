package benchkit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// This file is the shared half of the "whole request, side by side" benchmarks of issue #15
// (one Benchmark function per framework, one sub-benchmark per row): the fixture every row
// uses, the one request shape and the one response every row must produce.

// UserID is the user every row's handler answers with: the body of every response.
const UserID = "user-bench"

// Fixture is what every row of a side-by-side run shares: two engines over one signing key and
// one memory store, a session signed in through the engine's own sign-in route, and the same
// claims signed by golang-jwt for the JWT middlewares' rows.
type Fixture struct {
	// Warm is the engine with the verified-token cache on (the default).
	Warm *core.Engine
	// Cold is the same engine with the cache off (Config.DisableVerifyCache): every request
	// verifies the EdDSA signature and the claims.
	Cold *core.Engine
	// Token is ratchet's EdDSA access token for UserID, from POST {base}/signin on Warm.
	Token string
	// PublicKey is the engine's Ed25519 key, read from its JWKS as a gateway would: the
	// asymmetric JWT rows verify Token itself with it.
	PublicKey ed25519.PublicKey
	// Claims are Token's claims (sub is UserID).
	Claims map[string]any
	// HS256Key is a 32-byte secret, and HS256Token is Claims signed with it (HS256).
	HS256Key   []byte
	HS256Token string
}

// NewFixture builds the engines and signs UserID in. The engines have the audit writer and
// the revocation poller off: no background goroutine allocates while an allocation guard
// counts (neither is on the warm path).
func NewFixture(tb testing.TB) *Fixture {
	tb.Helper()
	key, err := core.GenerateKey(core.AlgEdDSA)
	if err != nil {
		tb.Fatal(err)
	}
	store := memory.New()
	engine := func(noCache bool) *core.Engine {
		ring, err := core.NewStaticKeyRing(key)
		if err != nil {
			tb.Fatal(err)
		}
		e, err := core.New(core.Config{
			Store: store, Keys: ring, DisableVerifyCache: noCache,
			Logger: slog.New(slog.DiscardHandler), RevocationPollInterval: -1,
			Audit: core.AuditConfig{Disable: true},
			Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
				if r.Email != "bench@example.com" || r.Password != "bench-password" {
					return nil, core.ErrWrongCredentials
				}
				return &core.Identity{UserID: UserID, Payload: map[string]any{"role": "admin"}}, nil
			},
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = e.Close() })
		return e
	}
	f := &Fixture{Warm: engine(false), Cold: engine(true)}
	f.Token = SignIn(tb, f.Warm)
	f.PublicKey = publicKey(tb, f.Warm)
	f.Claims = claimsOf(tb, f.Token)
	f.HS256Key = make([]byte, 32)
	_, _ = rand.Read(f.HS256Key)
	f.HS256Token = f.Sign(tb, jwt.SigningMethodHS256, f.HS256Key)
	return f
}

// SignIn signs bench@example.com in through e's sign-in route (POST {base}/signin, header
// mode), exactly as a client would, and returns the access token it answered with.
func SignIn(tb testing.TB, e *core.Engine) string {
	tb.Helper()
	req, _ := http.NewRequest("POST", e.Config().BasePath+"/signin",
		strings.NewReader(`{"email":"bench@example.com","password":"bench-password"}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "192.0.2.1:1234"
	w := &sink{h: http.Header{}}
	e.ServeAuth(context.Background(), httpio.Request(req), httpio.Response(w))
	tok := w.h.Get(core.HeaderAccessToken)
	if w.status != http.StatusOK || tok == "" {
		tb.Fatalf("sign-in: status %d, body %s, no access token", w.status, w.body)
	}
	return tok
}

// Sign signs the fixture's claims with method and key (golang-jwt), for a JWT middleware's
// row: the same claim set as Token, under another algorithm.
func (f *Fixture) Sign(tb testing.TB, method jwt.SigningMethod, key any) string {
	tb.Helper()
	s, err := jwt.NewWithClaims(method, jwt.MapClaims(f.Claims)).SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// RS256 is a fresh RSA-2048 key and the fixture's claims signed with it, for a middleware
// whose own key settings know RS256 but not EdDSA.
func (f *Fixture) RS256(tb testing.TB) (token string, key *rsa.PrivateKey) {
	tb.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return f.Sign(tb, jwt.SigningMethodRS256, k), k
}

// Tampered is tok with its signature's last characters changed: every authenticating row
// must refuse it (TestSameWork in each module), so no row is measured skipping the check.
func Tampered(tok string) string {
	if strings.HasSuffix(tok, "AAAA") {
		return tok[:len(tok)-4] + "BBBB"
	}
	return tok[:len(tok)-4] + "AAAA"
}

func publicKey(tb testing.TB, e *core.Engine) ed25519.PublicKey {
	tb.Helper()
	doc, err := e.Config().Keys.JWKS()
	if err != nil {
		tb.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kty, Crv, X string } `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) != 1 || set.Keys[0].Crv != "Ed25519" {
		tb.Fatalf("JWKS %s: %v", doc, err)
	}
	x, err := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if err != nil || len(x) != ed25519.PublicKeySize {
		tb.Fatalf("JWK x: %v", err)
	}
	return ed25519.PublicKey(x)
}

func claimsOf(tb testing.TB, tok string) map[string]any {
	tb.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		tb.Fatalf("access token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	var c map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber() // keep exp and iat integers when re-signed
	if err := d.Decode(&c); err != nil {
		tb.Fatal(err)
	}
	if c["sub"] != UserID {
		tb.Fatalf("sub is %v, want %s", c["sub"], UserID)
	}
	return c
}

// Request is the one request shape of every row: GET /api/me from 192.0.2.1 with
// "Authorization: Bearer tok" (the bare row sends ratchet's token too, and ignores it).
func Request(tok string) *http.Request {
	return Get("Authorization", "Bearer "+tok)
}

// Respond is the one handler body of every row: 200, text/plain, the user id.
func Respond(w http.ResponseWriter, userID string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, userID)
}

// Serve sends req through h once and returns the status and body.
func Serve(h http.Handler, req *http.Request) (int, string) {
	w := &sink{h: http.Header{}}
	h.ServeHTTP(w, req)
	return w.status, string(w.body)
}

// Loop serves req through h b.N times, with allocations reported, after checking that one
// response is 200 UserID (so no row can measure an error path); the last response is checked
// too.
func Loop(b *testing.B, h http.Handler, req *http.Request) {
	b.Helper()
	w := &sink{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK || string(w.body) != UserID {
		b.Fatalf("warm-up request: status %d, body %q", w.status, w.body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		w.reset()
		h.ServeHTTP(w, req)
	}
	b.StopTimer()
	if w.status != http.StatusOK || string(w.body) != UserID {
		b.Fatalf("last request: status %d, body %q", w.status, w.body)
	}
}

// AllocsPerRequest is testing.AllocsPerRun over one request through h, with the same reused
// response sink as Loop; it fails tb if a response is not 200 UserID.
func AllocsPerRequest(tb testing.TB, h http.Handler, req *http.Request) float64 {
	tb.Helper()
	w := &sink{h: http.Header{}}
	bad := 0
	n := testing.AllocsPerRun(1000, func() {
		w.reset()
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK || string(w.body) != UserID {
			bad++
		}
	})
	if bad > 0 {
		tb.Fatalf("%d responses were not 200 %q (last: %d %q)", bad, UserID, w.status, w.body)
	}
	return n
}

// Row is one line of a side-by-side run: a handler (router, middleware and the one handler
// body) and the request it is measured with. Bad, when set, is the same request with a
// tampered credential, which the row must refuse with 401.
type Row struct {
	Name    string
	Handler http.Handler
	Req     *http.Request
	Bad     *http.Request
}

// RunRows runs each row as a sub-benchmark of b, in order, then (when there are rows "bare"
// and "ratchet_warm") the two interleaved: see Interleave.
func RunRows(b *testing.B, rows []Row) {
	var bare, warm *Row
	for i, r := range rows {
		b.Run(r.Name, func(b *testing.B) { Loop(b, r.Handler, r.Req) })
		switch r.Name {
		case "bare":
			bare = &rows[i]
		case "ratchet_warm":
			warm = &rows[i]
		}
	}
	if bare != nil && warm != nil {
		b.Run("warm_vs_bare_interleaved", func(b *testing.B) {
			Interleave(b, server(b, *bare), server(b, *warm))
		})
	}
}

// server is a function serving r's request once into a sink of its own, failing b on any
// status but 200.
func server(b *testing.B, r Row) func() {
	w := &sink{h: http.Header{}}
	return func() {
		w.reset()
		r.Handler.ServeHTTP(w, r.Req)
		if w.status != http.StatusOK {
			b.Fatalf("%s: status %d", r.Name, w.status)
		}
	}
}

// InterleaveBlock is how many requests of one row Interleave serves before switching to the
// other: enough that reading the clock twice per block costs nothing measurable, short enough
// (well under a millisecond) that a shared machine's changing load hits both rows alike.
const InterleaveBlock = 64

// Interleave serves bare and warm (one request each per call) in alternating blocks of
// InterleaveBlock, b.N requests of each, timing each block, and reports each one's ns per
// request and their ratio warm/bare: the figure to read when the machine is not quiet, as
// separate sub-benchmarks run seconds apart under different load. Its ns/op is one request
// of each.
func Interleave(b *testing.B, bare, warm func()) {
	bare()
	warm()
	var tb, tw time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n += InterleaveBlock {
		k := min(InterleaveBlock, b.N-n)
		t0 := time.Now()
		for range k {
			bare()
		}
		t1 := time.Now()
		for range k {
			warm()
		}
		tw += time.Since(t1)
		tb += t1.Sub(t0)
	}
	b.StopTimer()
	b.ReportMetric(float64(tb.Nanoseconds())/float64(b.N), "bare-ns/req")
	b.ReportMetric(float64(tw.Nanoseconds())/float64(b.N), "warm-ns/req")
	b.ReportMetric(float64(tw)/float64(tb), "warm/bare")
}

// CheckRows checks that every row answers its request with 200 UserID and refuses its Bad
// request with 401: each row does the work it is measured for.
func CheckRows(t *testing.T, rows []Row) {
	t.Helper()
	for _, r := range rows {
		if st, body := Serve(r.Handler, r.Req); st != http.StatusOK || body != UserID {
			t.Errorf("%s: %d %q, want 200 %q", r.Name, st, body, UserID)
		}
		if r.Bad != nil {
			if st, body := Serve(r.Handler, r.Bad); st != http.StatusUnauthorized {
				t.Errorf("%s with a tampered credential: %d %q, want 401", r.Name, st, body)
			}
		}
	}
}

// Find returns the row called name; it fails tb if there is none.
func Find(tb testing.TB, rows []Row, name string) Row {
	tb.Helper()
	for _, r := range rows {
		if r.Name == name {
			return r
		}
	}
	tb.Fatalf("no row %q", name)
	return Row{}
}

// Ceiling fails t when got (allocations per request of row name) is above ceiling, and logs
// when it is below, so that the ceiling is lowered with each improvement. Allocation counts are
// exact where times are not: an allocation regression on the warm path fails `make test`.
func Ceiling(t *testing.T, name string, got, ceiling float64) {
	t.Helper()
	switch {
	case got > ceiling:
		t.Errorf("%s allocates %v times per request; the ceiling is %v", name, got, ceiling)
	case got < ceiling:
		t.Logf("%s allocates %v times per request, below its ceiling %v: lower the ceiling", name, got, ceiling)
	default:
		t.Logf("%s allocates %v times per request (ceiling %v)", name, got, ceiling)
	}
}
