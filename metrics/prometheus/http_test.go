package promratchet_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// client is a SuperTokens frontend in header mode against srv.
type client struct {
	t   *testing.T
	srv *httptest.Server
}

type answer struct {
	status          int
	body            string
	access, refresh string
}

func (c client) post(path, body string, hdr ...string) answer {
	c.t.Helper()
	req, err := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("rid", "emailpassword")
	req.Header.Set("st-auth-mode", "header")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.srv.Client().Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{status: res.StatusCode, body: string(b), access: res.Header.Get("st-access-token"),
		refresh: res.Header.Get("st-refresh-token")}
}

func (c client) signIn(pw string) answer {
	c.t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	return c.post("/auth/signin", string(b))
}

func (c client) refresh(token string) answer {
	c.t.Helper()
	return c.post("/auth/session/refresh", "", "Authorization", "Bearer "+token)
}

// TestOverHTTP drives the net/http adapter as the SuperTokens SDK does, a wrong password, a
// sign-in, a refresh and the replay of the first refresh token after the grace window
// (theft), then scrapes /metrics on the same server through promhttp and parses the text.
func TestOverHTTP(t *testing.T) {
	r := newRig(t, nil)
	a := httpratchet.New(r.engine)
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler())
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := client{t, srv}

	if got := c.signIn("wrong"); got.status != 200 || !strings.Contains(got.body, "WRONG_CREDENTIALS_ERROR") {
		t.Fatalf("wrong password: %d %s", got.status, got.body)
	}
	first := c.signIn(password)
	if first.status != 200 || first.refresh == "" || first.access == "" {
		t.Fatalf("sign-in: %d %s", first.status, first.body)
	}
	second := c.refresh(first.refresh)
	if second.status != 200 || second.refresh == "" || second.refresh == first.refresh {
		t.Fatalf("refresh: %d %s", second.status, second.body)
	}
	// The first refresh token was superseded by the rotation; outside the grace window its
	// replay is theft, and the session is revoked.
	r.clock.Advance(r.engine.Config().RotationGrace + time.Second)
	if got := c.refresh(first.refresh); got.status != 401 || !strings.Contains(got.body, "token theft detected") {
		t.Fatalf("replay after the grace window: %d %s", got.status, got.body)
	}

	mfs := scrape(t, srv.URL+"/metrics")
	expect(t, mfs, 1, "ratchet_sign_ins_total", "result", "ok")
	expect(t, mfs, 1, "ratchet_sign_ins_total", "result", "failed")
	expect(t, mfs, 1, "ratchet_refreshes_total")
	expect(t, mfs, 1, "ratchet_token_thefts_total")
	expect(t, mfs, 0, "ratchet_revocations_total")
	expect(t, mfs, 0, "ratchet_rate_limited_total")
	expect(t, mfs, 1, "ratchet_security_events_total", "type", core.EventTokenTheft)
	expect(t, mfs, 1, "ratchet_security_events_total", "type", core.EventSignIn)
	expect(t, mfs, 1, "ratchet_security_events_total", "type", core.EventSignInFailed)
	expect(t, mfs, 1, "ratchet_security_events_total", "type", core.EventRefresh)
	expect(t, mfs, 0, "ratchet_security_events_total", "type", "other")
	// Histogram sample counts: a sign-in of each result, a refresh of each outcome.
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpSignIn, "outcome", "ok")
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpSignIn, "outcome", "rejected")
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpIssueTokens, "outcome", "ok")
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "ok")
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "rejected")
	expect(t, mfs, 0, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "error")
	expect(t, mfs, 1, "ratchet_store_duration_seconds", "op", core.OpStoreCreate)
	// The rotation is one statement (the engine signed the session in); the replay's own
	// attempt writes nothing, so it reads the row and revokes the session.
	expect(t, mfs, 2, "ratchet_store_duration_seconds", "op", core.OpStoreRotate)
	expect(t, mfs, 1, "ratchet_store_duration_seconds", "op", core.OpStoreGet)
	expect(t, mfs, 1, "ratchet_store_duration_seconds", "op", core.OpStoreUpdate)
	for _, m := range mfs["ratchet_store_errors_total"].GetMetric() {
		if m.GetCounter().GetValue() != 0 {
			t.Errorf("store errors %v: answers are not failures", m)
		}
	}
	// The pull side: Engine.Stats at scrape time.
	expect(t, mfs, 0, "ratchet_revocation_feed_failures_total")
	expect(t, mfs, 1, "ratchet_revoked_handles") // the stolen session, remembered
	if _, ok := lookup(mfs, "ratchet_verify_cache_hits_total"); !ok {
		t.Error("no verify cache metrics")
	}
	checkLabels(t, mfs, first.access, first.refresh, second.access, second.refresh, "127.0.0.1")
}

// checkLabels fails when a label is not one of the documented ones, or a label value is not
// in its fixed set, or any label value contains one of secrets, the user's id or email.
func checkLabels(t *testing.T, mfs map[string]*dto.MetricFamily, secrets ...string) {
	t.Helper()
	ops := []string{core.OpSignIn, core.OpIssueTokens, core.OpRefresh, core.OpVerifyStrict, core.OpStoreCreate,
		core.OpStoreGet, core.OpStoreUpdate, core.OpStoreRotate, core.OpStoreList, core.OpStoreRevoke, core.OpStoreRevokeAll,
		core.OpStoreExpire, core.OpStoreFeed, core.OpAuditAppend}
	types := []string{core.EventSignIn, core.EventSignInFailed, core.EventSignOut, core.EventRefresh,
		core.EventTokenTheft, core.EventForgedToken, core.EventRevoked, core.EventCSRFRejected, core.EventFixationReset,
		core.EventUnknownToken, core.EventRateLimited, core.EventStaleToken, core.EventKeyCreated, core.EventKeyRevoked,
		core.EventKEKRewrapped, core.EventAnomaly, "other"}
	allowed := map[string][]string{
		"op":      ops,
		"outcome": {"ok", "rejected", "shed", "error"},
		"type":    types,
		"result":  {"ok", "failed"},
		"le":      nil, // histogram buckets
	}
	secrets = append(secrets, userID, email)
	n := 0
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "ratchet_") {
			t.Errorf("metric %s outside the namespace", name)
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				n++
				vals, ok := allowed[lp.GetName()]
				if !ok {
					t.Errorf("%s: unexpected label %s=%q", name, lp.GetName(), lp.GetValue())
				} else if vals != nil && !slices.Contains(vals, lp.GetValue()) {
					t.Errorf("%s: label %s=%q is not in its fixed set", name, lp.GetName(), lp.GetValue())
				}
				for _, s := range secrets {
					if s != "" && strings.Contains(lp.GetValue(), s) {
						t.Errorf("%s: label %s carries a user's data", name, lp.GetName())
					}
				}
			}
		}
	}
	if n == 0 {
		t.Error("no labels seen: the check checks nothing")
	}
}
