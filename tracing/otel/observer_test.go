package otelratchet_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	otelratchet "github.com/ratchetauth/ratchet/tracing/otel"
)

// TestRefreshNesting: a refresh is a ratchet.refresh span inside the caller's span, holding
// its store call (the one-statement rotation: the engine signed the session in), with the
// refresh event on it.
func TestRefreshNesting(t *testing.T) {
	r := newRig(t, otelratchet.Options{})
	ctx := context.Background()
	tok, err := r.engine.IssueTokens(ctx, userID, core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	issue := r.one(t, "ratchet.issue_tokens")
	childOf(t, r.one(t, "ratchet.store.create"), issue)
	want(t, issue, otelratchet.KeyOp, core.OpIssueTokens)
	want(t, issue, otelratchet.KeyOutcome, otelratchet.OutcomeOK)

	r.rec.Reset()
	pctx, parent := r.parent(ctx, "POST /auth/session/refresh")
	if _, err := r.engine.RefreshTokens(pctx, tok.RefreshToken, core.RefreshMeta{IP: "203.0.113.9", UserAgent: "Firefox/140"}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	p := r.one(t, "POST /auth/session/refresh")
	refresh := r.one(t, "ratchet.refresh")
	childOf(t, refresh, p)
	childOf(t, r.one(t, "ratchet.store.rotate"), refresh)
	want(t, refresh, otelratchet.KeyOp, core.OpRefresh)
	want(t, refresh, otelratchet.KeyOutcome, otelratchet.OutcomeOK)
	want(t, r.one(t, "ratchet.store.rotate"), otelratchet.KeyOp, core.OpStoreRotate)
	if refresh.Status().Code != codes.Unset || refresh.SpanKind().String() != "internal" {
		t.Errorf("refresh span: status %v, kind %v", refresh.Status(), refresh.SpanKind())
	}
	evs := securityEvents(refresh)
	if len(evs) != 1 {
		t.Fatalf("%d security events on the refresh span, want 1", len(evs))
	}
	if got, _ := attr(evs[0].Attributes, otelratchet.KeyEventType); got != core.EventRefresh {
		t.Errorf("event type %q", got)
	}
	if len(evs[0].Attributes) != 1 {
		t.Errorf("the refresh event has attributes beyond its type: %v", evs[0].Attributes)
	}
	noSecrets(t, r.rec.Ended(), tok.RefreshToken, tok.AccessToken, tok.Handle, userID, "203.0.113.9", "Firefox")
}

// client is a SuperTokens frontend in header mode.
type client struct {
	t   *testing.T
	url string
}

func (c client) post(path, body string, hdr ...string) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.url+path, strings.NewReader(body))
	req.Header.Set("rid", "emailpassword")
	req.Header.Set("st-auth-mode", "header")
	req.Header.Set("User-Agent", "Firefox/140")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("st-refresh-token")
}

// TestTheftOverHTTP: through the net/http adapter, behind a server span as otelhttp would
// make: a sign-in, a refresh, and the replay of the first refresh token after the grace
// window. The replay is a rejected ratchet.refresh (not an error) carrying the token_theft
// event, and no span holds a token, an IP address, a user agent, the user's id or email.
func TestTheftOverHTTP(t *testing.T) {
	r := newRig(t, otelratchet.Options{})
	mux := http.NewServeMux()
	mux.Handle("/auth/", httpratchet.New(r.engine).Handler())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx, span := r.parent(req.Context(), req.Method+" "+req.URL.Path)
		defer span.End()
		mux.ServeHTTP(w, req.WithContext(ctx))
	}))
	defer srv.Close()
	c := client{t, srv.URL}

	creds, _ := json.Marshal(map[string]string{"email": email, "password": password})
	status, body, first := c.post("/auth/signin", string(creds))
	if status != 200 || first == "" {
		t.Fatalf("sign-in: %d %s", status, body)
	}
	status, body, second := c.post("/auth/session/refresh", "", "Authorization", "Bearer "+first)
	if status != 200 || second == "" {
		t.Fatalf("refresh: %d %s", status, body)
	}
	r.clock.Advance(r.engine.Config().RotationGrace + time.Second)
	if status, body, _ = c.post("/auth/session/refresh", "", "Authorization", "Bearer "+first); status != 401 ||
		!strings.Contains(body, "token theft detected") {
		t.Fatalf("replay: %d %s", status, body)
	}

	signIn := r.one(t, "ratchet.sign_in")
	childOf(t, signIn, r.one(t, "POST /auth/signin"))
	childOf(t, r.one(t, "ratchet.issue_tokens"), signIn)
	childOf(t, r.one(t, "ratchet.store.create"), r.one(t, "ratchet.issue_tokens"))
	want(t, signIn, otelratchet.KeyOutcome, otelratchet.OutcomeOK)
	if evs := securityEvents(signIn); len(evs) != 1 {
		t.Errorf("%d security events on the sign-in span", len(evs))
	} else if got, _ := attr(evs[0].Attributes, otelratchet.KeyEventType); got != core.EventSignIn {
		t.Errorf("sign-in event type %q", got)
	}

	refreshes := r.spans("ratchet.refresh")
	if len(refreshes) != 2 {
		t.Fatalf("%d refresh spans, want 2", len(refreshes))
	}
	theft := refreshes[1]
	want(t, theft, otelratchet.KeyOutcome, otelratchet.OutcomeRejected)
	want(t, theft, otelratchet.KeyAnswer, "token theft detected")
	if theft.Status().Code != codes.Unset {
		t.Errorf("theft span status %v: an answer is not an error of the operation", theft.Status())
	}
	evs := securityEvents(theft)
	if len(evs) != 1 {
		t.Fatalf("%d security events on the theft's span, want 1", len(evs))
	}
	if got, _ := attr(evs[0].Attributes, otelratchet.KeyEventType); got != core.EventTokenTheft {
		t.Errorf("event type %q, want %s", got, core.EventTokenTheft)
	}
	if got, _ := attr(evs[0].Attributes, otelratchet.KeyReason); got != "superseded refresh token reused" {
		t.Errorf("event reason %q", got)
	}
	var updates int
	for _, s := range r.spans("ratchet.store.update") {
		if s.Parent().SpanID() == theft.SpanContext().SpanID() {
			updates++ // the revocation
		}
	}
	if updates != 1 {
		t.Errorf("%d store.update spans inside the theft's refresh, want the revocation", updates)
	}
	handle := strings.SplitN(first, ".", 2)[0]
	noSecrets(t, r.rec.Ended(), first, second, handle, userID, email, password, "127.0.0.1", "Firefox")
}

// TestRecordUserIDs: with the option, security events name the user and the session; never
// the IP address or the user agent.
func TestRecordUserIDs(t *testing.T) {
	r := newRig(t, otelratchet.Options{RecordUserIDs: true})
	ctx := core.WithActor(context.Background(), "admin-1")
	tok, err := r.engine.IssueTokens(ctx, userID, core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pctx, parent := r.parent(ctx, "admin")
	if _, err := r.engine.RefreshTokens(pctx, tok.RefreshToken, core.RefreshMeta{IP: "203.0.113.9", UserAgent: "Firefox/140"}); err != nil {
		t.Fatal(err)
	}
	parent.End()
	evs := securityEvents(r.one(t, "ratchet.refresh"))
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	for key, v := range map[string]string{string(otelratchet.KeyUserID): userID, string(otelratchet.KeySession): tok.Handle,
		string(otelratchet.KeyActor): "admin-1"} {
		var found bool
		for _, kv := range evs[0].Attributes {
			found = found || (string(kv.Key) == key && kv.Value.AsString() == v)
		}
		if !found {
			t.Errorf("no %s=%q in %v", key, v, evs[0].Attributes)
		}
	}
	noSecrets(t, r.rec.Ended(), tok.RefreshToken, tok.AccessToken, "203.0.113.9", "Firefox")
}

// TestFailures: a failing store makes the store call and the refresh errors (status Error,
// the error recorded); a missing session is an answer on both.
func TestFailures(t *testing.T) {
	r := newRig(t, otelratchet.Options{})
	ctx := context.Background()
	tok, err := r.engine.IssueTokens(ctx, userID, core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.rec.Reset()
	r.store.fail.Store(true)
	if _, err := r.engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrStore) {
		t.Fatalf("refresh over a failing store: %v", err)
	}
	r.store.fail.Store(false)
	for _, name := range []string{"ratchet.refresh", "ratchet.store.rotate"} {
		s := r.one(t, name)
		want(t, s, otelratchet.KeyOutcome, otelratchet.OutcomeError)
		if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, errDisk.Error()) {
			t.Errorf("%s: status %v", name, s.Status())
		}
		if !hasException(s) {
			t.Errorf("%s: the error is not recorded", name)
		}
	}

	r.rec.Reset()
	unknown := "AAAAAAAAAAAAAAAAAAAAAA" + tok.RefreshToken[22:]
	if _, err := r.engine.RefreshTokens(ctx, unknown, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("refresh of an unknown session: %v", err)
	}
	get := r.one(t, "ratchet.store.get")
	want(t, get, otelratchet.KeyOutcome, otelratchet.OutcomeRejected)
	want(t, get, otelratchet.KeyAnswer, "session not found")
	refresh := r.one(t, "ratchet.refresh")
	want(t, refresh, otelratchet.KeyAnswer, "unauthorised")
	for _, s := range []sdktrace.ReadOnlySpan{get, refresh} {
		if s.Status().Code != codes.Unset || hasException(s) {
			t.Errorf("%s: an answer recorded as an error: %v", s.Name(), s.Status())
		}
	}
	if evs := securityEvents(refresh); len(evs) != 1 {
		t.Errorf("%d events on the unknown token's refresh, want unknown_token", len(evs))
	}
}

func hasException(s sdktrace.ReadOnlySpan) bool {
	for _, e := range s.Events() {
		if e.Name == "exception" {
			return true
		}
	}
	return false
}

// TestGlobalProvider: without a TracerProvider, New uses the global one.
func TestGlobalProvider(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func(prev interface{ Shutdown(context.Context) error }) { _ = tp.Shutdown(context.Background()) }(tp)
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(prev)

	o := otelratchet.New(otelratchet.Options{})
	_, end := o.StartOp(context.Background(), core.OpVerifyStrict)
	end(nil)
	o.Event(context.Background(), core.SecurityEvent{Type: core.EventKeyCreated}) // outside any span: dropped
	_, end = o.StartOp(context.Background(), "store.future_call")
	end(context.DeadlineExceeded)
	ended := rec.Ended()
	if len(ended) != 2 || ended[0].Name() != "ratchet.verify_strict" || ended[1].Name() != "ratchet.store.future_call" {
		t.Fatalf("spans %v", ended)
	}
	if ended[0].InstrumentationScope().Name != otelratchet.ScopeName {
		t.Errorf("scope %q", ended[0].InstrumentationScope().Name)
	}
	if ended[1].Status().Code != codes.Error {
		t.Errorf("an ended context is a failure: %v", ended[1].Status())
	}
}
