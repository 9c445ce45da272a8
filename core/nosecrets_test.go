package core_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLogsNeverContainSecrets runs sign-in, refresh, theft, CSRF failures, sign-out and a
// failed sign-in with debug logging and security-event capture, then looks for every token,
// cookie value, Authorization header and password in what was logged, handed to the hooks
// and written to the store's audit log.
func TestLogsNeverContainSecrets(t *testing.T) {
	const password = "correct-horse-battery-staple"
	logs := &lockedBuffer{}
	var events []core.SecurityEvent
	var evMu sync.Mutex
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	store := memory.New()
	e, err := core.New(core.Config{
		Store: store, Clock: clk, Cookies: core.CookieConfig{Insecure: true}, RotationGrace: time.Second,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			evMu.Lock()
			events = append(events, ev)
			evMu.Unlock()
		},
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			if r.Password != password {
				return nil, core.ErrWrongCredentials
			}
			return &core.Identity{UserID: "u1"}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := httpratchet.New(e)
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	srv := httptest.NewServer(mux)
	defer srv.Close()

	var secrets []string
	do := func(method, path string, hdr map[string]string, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		for _, h := range []string{"st-access-token", "st-refresh-token"} {
			if v := res.Header.Get(h); v != "" {
				secrets = append(secrets, v)
			}
		}
		for _, c := range res.Cookies() {
			if c.Value != "" {
				secrets = append(secrets, c.Value)
			}
		}
		return res
	}
	jsonHdr := map[string]string{"Content-Type": "application/json"}
	do("POST", "/auth/signin", jsonHdr, `{"email":"a","password":"wrong-`+password+`"}`)
	res := do("POST", "/auth/signin", jsonHdr, `{"email":"a","password":"`+password+`"}`)
	rt0 := res.Header.Get("st-refresh-token")
	at0 := res.Header.Get("st-access-token")
	res = do("POST", "/auth/session/refresh", map[string]string{"Authorization": "Bearer " + rt0}, "")
	rt1 := res.Header.Get("st-refresh-token")
	clk.Advance(2 * time.Second)
	do("POST", "/auth/session/refresh", map[string]string{"Authorization": "Bearer " + rt0}, "") // theft
	forged := rt1[:len(rt1)-2] + "AA"
	do("POST", "/auth/session/refresh", map[string]string{"Authorization": "Bearer " + forged}, "")
	cookieHdr := map[string]string{"Content-Type": "application/json", "st-auth-mode": "cookie"}
	res = do("POST", "/auth/signin", cookieHdr, `{"email":"a","password":"`+password+`"}`)
	var cookie []string
	for _, c := range res.Cookies() {
		cookie = append(cookie, c.Name+"="+c.Value)
	}
	do("POST", "/auth/signout", map[string]string{"Cookie": strings.Join(cookie, "; ")}, "") // no rid: CSRF
	do("POST", "/auth/signout", map[string]string{"Cookie": strings.Join(cookie, "; "), "rid": "x"}, "")
	do("POST", "/auth/signout", map[string]string{"Authorization": "Bearer " + at0}, "")

	secrets = append(secrets, password, forged)
	if len(secrets) < 8 {
		t.Fatalf("only %d secrets captured; the flow did not run", len(secrets))
	}
	if err := e.Close(); err != nil { // flushes the audit log
		t.Fatal(err)
	}
	audited := listAll(t, store, core.AuditQuery{})
	if st := e.AuditStats(); len(audited) == 0 || st.Written != uint64(len(audited)) {
		t.Fatalf("audit log holds %d events, AuditStats %+v", len(audited), st)
	}
	out := logs.String()
	for _, ev := range audited {
		out += ev.ID + ev.Type + ev.UserID + ev.Handle + ev.IP + ev.UserAgent + ev.Reason + ev.Actor + "\n"
	}
	evMu.Lock()
	if len(audited) != len(events) {
		t.Errorf("audit log holds %d events, OnSecurityEvent saw %d", len(audited), len(events))
	}
	for _, ev := range events {
		out += ev.Type + ev.UserID + ev.Handle + ev.IP + ev.UserAgent + ev.Reason + "\n"
	}
	types := map[string]bool{}
	for _, ev := range events {
		types[ev.Type] = true
	}
	evMu.Unlock()
	for _, want := range []string{core.EventSignIn, core.EventSignInFailed, core.EventRefresh, core.EventTokenTheft,
		core.EventForgedToken, core.EventCSRFRejected, core.EventSignOut} {
		if !types[want] {
			t.Errorf("no %s event was emitted", want)
		}
	}
	for _, s := range secrets {
		for _, probe := range []string{s, s[:min(len(s), 24)]} {
			if strings.Contains(out, probe) {
				t.Errorf("a secret (%d chars) appears in the logs or events", len(s))
			}
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// A password pasted into the email box must never reach the logs or events: a tripped
// account limit names the account by a keyed digest.
func TestRateLimitedEventsNeverShowTheTypedEmail(t *testing.T) {
	var buf lockedBuffer
	var reasons []string
	var mu sync.Mutex
	typed := "Hunter2-pasted-into-the-email-box"
	e, err := core.New(core.Config{Store: memory.New(), Logger: slog.New(slog.NewJSONHandler(&buf, nil)),
		RateLimits: core.RateLimits{SignInPerAccount: core.NewMemoryLimiter(1, time.Minute, nil)},
		Authenticate: func(context.Context, *core.SignInRequest) (*core.Identity, error) {
			return nil, core.ErrWrongCredentials
		},
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			mu.Lock()
			reasons = append(reasons, ev.Type+" "+ev.Reason)
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpratchet.New(e).Handler())
	defer srv.Close()
	statuses := []int{}
	for range 2 {
		res, err := http.Post(srv.URL+"/auth/signin", "application/json", strings.NewReader(`{"email":"`+typed+`","password":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		statuses = append(statuses, res.StatusCode)
	}
	if statuses[1] != 429 {
		t.Fatalf("statuses %v, want the second attempt rate-limited", statuses)
	}
	mu.Lock()
	defer mu.Unlock()
	joined := strings.Join(reasons, "\n")
	if !strings.Contains(joined, core.EventRateLimited) {
		t.Fatalf("no rate_limited event: %s", joined)
	}
	for _, probe := range []string{typed, strings.ToLower(typed), "Hunter2"} {
		if strings.Contains(joined, probe) || strings.Contains(buf.String(), probe) {
			t.Fatalf("the typed email appears in events or logs:\n%s\n%s", joined, buf.String())
		}
	}
}
