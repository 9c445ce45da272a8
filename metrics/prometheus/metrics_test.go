package promratchet_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratchetauth/ratchet/core"
	promratchet "github.com/ratchetauth/ratchet/metrics/prometheus"
)

// TestOutcomes: answers (a missing session, a wrong password) are rejected and no store
// error; a failing store is an error of the operation and of the store call; a request shed
// by admission control is shed.
func TestOutcomes(t *testing.T) {
	r := newRig(t, func(c *core.Config) {
		c.Admission = core.Admission{MaxInFlight: 1, MaxWait: 20 * time.Millisecond}
	})
	ctx := context.Background()
	tok, err := r.engine.IssueTokens(ctx, userID, core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	// A well-formed refresh token of a session that does not exist: the store answers
	// ErrNotFound, which is no failure.
	other, err := r.engine.IssueTokens(ctx, "someone-else", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.engine.RevokeAllForUser(ctx, "someone-else"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.engine.RefreshTokens(ctx, other.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("refresh of a revoked session: %v", err)
	}
	unknown := "AAAAAAAAAAAAAAAAAAAAAA" + other.RefreshToken[22:]
	if _, err := r.engine.RefreshTokens(ctx, unknown, core.RefreshMeta{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("refresh of an unknown session: %v", err)
	}
	mfs := families(t, r.reg)
	expect(t, mfs, 2, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "rejected")
	expect(t, mfs, 0, "ratchet_store_errors_total", "op", core.OpStoreGet)
	expect(t, mfs, 1, "ratchet_revocations_total")

	// The store fails.
	r.store.fail.Store(true)
	if _, err := r.engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrStore) {
		t.Fatalf("refresh over a failing store: %v", err)
	}
	r.store.fail.Store(false)
	mfs = families(t, r.reg)
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "error")
	// The engine knows the session, so the refresh failed in its one statement.
	expect(t, mfs, 1, "ratchet_store_errors_total", "op", core.OpStoreRotate)
	expect(t, mfs, 0, "ratchet_store_errors_total", "op", core.OpStoreGet)
	expect(t, mfs, 0, "ratchet_store_errors_total", "op", core.OpStoreUpdate)

	// One refresh holds the only admission slot, blocked in the store; the next one waits
	// MaxWait for it and is shed.
	release := make(chan struct{})
	r.store.entered = make(chan struct{}, 1)
	r.store.block.Store(&release)
	done := make(chan error, 1)
	go func() {
		_, err := r.engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{})
		done <- err
	}()
	<-r.store.entered
	if _, err := r.engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrOverloaded) {
		t.Fatalf("refresh while the only slot is taken: %v", err)
	}
	r.store.block.Store(nil)
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the blocked refresh: %v", err)
	}
	mfs = families(t, r.reg)
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "shed")
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpRefresh, "outcome", "ok")
	expect(t, mfs, 1, "ratchet_admission_shed_total")
	expect(t, mfs, 1, "ratchet_admission_max_in_flight")
	expect(t, mfs, 0, "ratchet_admission_in_flight")
	expect(t, mfs, 0, "ratchet_admission_waiting")
	expect(t, mfs, 1, "ratchet_store_errors_total", "op", core.OpStoreRotate) // unchanged: shedding is no store error
}

// TestCancelledContextIsAFailure: a store call that ends with the context's error counts as
// a store error, as the operation's.
func TestCancelledContextIsAFailure(t *testing.T) {
	r := newRig(t, func(c *core.Config) { c.Admission.Disable = true })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.engine.IssueTokens(ctx, userID, core.CreateOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("IssueTokens with a cancelled context: %v", err)
	}
	mfs := families(t, r.reg)
	expect(t, mfs, 1, "ratchet_operation_duration_seconds", "op", core.OpIssueTokens, "outcome", "error")
	expect(t, mfs, 1, "ratchet_store_errors_total", "op", core.OpStoreCreate)
	if _, ok := lookup(mfs, "ratchet_admission_in_flight"); ok {
		t.Error("admission metrics of an engine without admission control")
	}
}

// TestRateLimited: failed sign-ins beyond the account's limit are refused and counted.
func TestRateLimited(t *testing.T) {
	r := newRig(t, func(c *core.Config) {
		c.RateLimits.SignInPerAccount = core.NewMemoryLimiter(2, time.Hour, c.Clock)
	})
	srvClient := newHTTP(t, r)
	for range 2 {
		if got := srvClient.signIn("wrong"); got.status != 200 {
			t.Fatalf("wrong password: %d %s", got.status, got.body)
		}
	}
	if got := srvClient.signIn("wrong"); got.status != 429 {
		t.Fatalf("third wrong password: %d %s, want 429", got.status, got.body)
	}
	mfs := families(t, r.reg)
	expect(t, mfs, 1, "ratchet_rate_limited_total")
	expect(t, mfs, 2, "ratchet_sign_ins_total", "result", "failed")
	// Two wrong passwords and the refusal.
	expect(t, mfs, 3, "ratchet_operation_duration_seconds", "op", core.OpSignIn, "outcome", "rejected")
}

// TestStats: the metrics read from Engine.Stats at scrape time.
func TestStats(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	tok, err := r.engine.IssueTokens(ctx, userID, core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// IssueTokens caches the new access token: both verifications are hits.
	for range 2 {
		if _, err := r.engine.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	r.engine.FlushVerifyCache()
	if _, err := r.engine.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
	st := r.engine.Stats()
	mfs := families(t, r.reg)
	expect(t, mfs, float64(st.VerifyCache.Hits), "ratchet_verify_cache_hits_total")
	expect(t, mfs, float64(st.VerifyCache.Misses), "ratchet_verify_cache_misses_total")
	expect(t, mfs, float64(st.VerifyCache.Entries), "ratchet_verify_cache_entries")
	if st.VerifyCache.Hits == 0 || st.VerifyCache.Misses == 0 {
		t.Errorf("verify cache stats %+v: want hits and misses", st.VerifyCache)
	}

	// The revocation feed was polled once, at New; the fake clock has not moved.
	expect(t, mfs, 0, "ratchet_revocation_feed_lag_seconds")
	expect(t, mfs, float64(epoch.Unix()), "ratchet_revocation_feed_last_success_timestamp_seconds")
	r.clock.Advance(90 * time.Second)
	mfs = families(t, r.reg)
	expect(t, mfs, 90, "ratchet_revocation_feed_lag_seconds")
	expect(t, mfs, 0, "ratchet_revocation_feed_failures_total")

	// Admission control admits what reaches the store on a refresh (token-level issuing
	// and verifying are not admitted).
	expect(t, mfs, float64(core.DefaultAdmissionMaxInFlight), "ratchet_admission_max_in_flight")
	expect(t, mfs, 0, "ratchet_admission_admitted_total")
	if _, err := r.engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
		t.Fatal(err)
	}
	expect(t, families(t, r.reg), 1, "ratchet_admission_admitted_total")

	// The audit log: Close flushes the writer; an event after it is dropped.
	if _, err := r.engine.IssueTokens(ctx, "user-b", core.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if hs, err := r.engine.RevokeAllForUser(ctx, userID); len(hs) != 1 || err != nil {
		t.Fatalf("RevokeAllForUser: %v %v", hs, err)
	}
	if err := r.engine.Close(); err != nil {
		t.Fatal(err)
	}
	if hs, err := r.engine.RevokeAllForUser(ctx, "user-b"); len(hs) != 1 || err != nil {
		t.Fatalf("RevokeAllForUser after Close: %v %v", hs, err)
	}
	mfs = families(t, r.reg)
	// Every event but the last one was written: the refresh and the first revocation.
	expect(t, mfs, 1, "ratchet_security_events_total", "type", core.EventRefresh)
	expect(t, mfs, 2, "ratchet_security_events_total", "type", core.EventRevoked)
	expect(t, mfs, 2, "ratchet_audit_events_written_total")
	expect(t, mfs, 1, "ratchet_audit_events_dropped_total")
	expect(t, mfs, 0, "ratchet_audit_events_failed_total")
	expect(t, mfs, 0, "ratchet_audit_events_queued")
	if got := value(t, mfs, "ratchet_store_duration_seconds", "op", core.OpAuditAppend); got < 1 {
		t.Errorf("audit.append observed %v times, want the flush", got)
	}
}

// TestFeedLagBeforeTheFirstPoll: without a successful poll the lag counts from Watch.
func TestFeedLagBeforeTheFirstPoll(t *testing.T) {
	r := newRig(t, func(c *core.Config) { c.Store = feedDown{c.Store.(*faultyStore)} })
	mfs := families(t, r.reg)
	expect(t, mfs, 1, "ratchet_revocation_feed_failures_total")
	expect(t, mfs, 0, "ratchet_revocation_feed_lag_seconds")
	if _, ok := lookup(mfs, "ratchet_revocation_feed_last_success_timestamp_seconds"); ok {
		t.Error("a last-success timestamp without a success")
	}
	r.clock.Advance(time.Minute)
	expect(t, families(t, r.reg), 60, "ratchet_revocation_feed_lag_seconds")
}

// feedDown is the memory store whose revocation feed fails.
type feedDown struct{ *faultyStore }

func (feedDown) RevokedSince(context.Context, string, time.Duration) ([]string, string, error) {
	return nil, "", errors.New("feed down")
}

// TestBeforeWatch: until Watch, a scrape has the request-path metrics only.
func TestBeforeWatch(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := promratchet.New(promratchet.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	m.Event(context.Background(), core.SecurityEvent{Type: core.EventSignIn})
	mfs := families(t, reg)
	expect(t, mfs, 1, "ratchet_sign_ins_total", "result", "ok")
	for name := range mfs {
		if strings.Contains(name, "verify_cache") || strings.Contains(name, "admission") || strings.Contains(name, "feed") ||
			strings.Contains(name, "audit_events") {
			t.Errorf("%s before Watch", name)
		}
	}
}

// TestOptions: the registerer is required, the namespace, constant labels and buckets apply,
// and a second registration under the same labels is refused.
func TestOptions(t *testing.T) {
	if _, err := promratchet.New(promratchet.Options{}); err == nil || !strings.Contains(err.Error(), "Registerer") {
		t.Errorf("New without a Registerer: %v", err)
	}
	reg := prometheus.NewPedanticRegistry()
	opts := promratchet.Options{Registerer: reg, Namespace: "auth", ConstLabels: prometheus.Labels{"engine": "web"},
		Buckets: []float64{0.1, 1}}
	m, err := promratchet.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := promratchet.New(opts); err == nil {
		t.Error("the same metrics registered twice")
	}
	opts.ConstLabels = prometheus.Labels{"engine": "admin"}
	if _, err := promratchet.New(opts); err != nil {
		t.Errorf("a second engine's metrics under other constant labels: %v", err)
	}
	_, end := m.StartOp(context.Background(), core.OpRefresh)
	end(nil)
	mfs := families(t, reg)
	h := mfs["auth_operation_duration_seconds"]
	if h == nil {
		t.Fatalf("no auth_operation_duration_seconds in %v", keys(mfs))
	}
	var seen bool
	for _, s := range h.GetMetric() {
		if hasLabels(s, "engine", "web", "op", core.OpRefresh, "outcome", "ok") {
			seen = true
			if b := s.GetHistogram().GetBucket(); len(b) != 2 || b[0].GetUpperBound() != 0.1 || b[1].GetUpperBound() != 1 {
				t.Errorf("buckets %v, want 0.1 and 1", b)
			}
			if s.GetHistogram().GetSampleCount() != 1 {
				t.Errorf("sample count %d", s.GetHistogram().GetSampleCount())
			}
		}
	}
	if !seen {
		t.Error("no refresh sample with the constant label")
	}
	if _, ok := mfs["ratchet_sign_ins_total"]; ok {
		t.Error("the default namespace was used")
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestUnknownOpsAndEvents: an operation or event type a newer core adds is still counted,
// events under type="other".
func TestUnknownOpsAndEvents(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m, err := promratchet.New(promratchet.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		_, end := m.StartOp(ctx, "store.future_call")
		end(errors.New("boom"))
		_, end = m.StartOp(ctx, "future_op")
		end(nil)
	}
	m.Event(ctx, core.SecurityEvent{Type: "future_event", UserID: userID})
	mfs := families(t, reg)
	expect(t, mfs, 2, "ratchet_store_duration_seconds", "op", "store.future_call")
	expect(t, mfs, 2, "ratchet_store_errors_total", "op", "store.future_call")
	expect(t, mfs, 2, "ratchet_operation_duration_seconds", "op", "future_op", "outcome", "ok")
	expect(t, mfs, 1, "ratchet_security_events_total", "type", "other")
}

// TestNoAllocations: the observer allocates nothing per operation or event. A timer the
// pool has to make costs AllocsPerTimer; the pool makes none in steady state, except under
// the race detector, whose sync.Pool drops a quarter of what is put back on purpose. So the
// check is: the allocations are those of the pool's misses, and nothing else; and without the
// race detector, there are no misses.
func TestNoAllocations(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := promratchet.New(promratchet.Options{Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	theft := &core.Error{Kind: core.ErrTokenTheft}
	ev := core.SecurityEvent{Type: core.EventRefresh, UserID: userID}
	refresh := func() { // what a refresh's observer sees: the operation, a store call, an event
		_, end := m.StartOp(ctx, core.OpRefresh)
		_, endGet := m.StartOp(ctx, core.OpStoreGet)
		endGet(nil)
		m.Event(ctx, ev)
		end(theft)
	}
	perTimer := promratchet.AllocsPerTimer(m)
	if perTimer == 0 {
		t.Fatal("making a timer allocates nothing: the check below checks nothing")
	}
	const runs = 1000
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // as testing.AllocsPerRun does
	refresh()                                       // warm up
	var before, after runtime.MemStats
	misses := promratchet.TimerMisses(m)
	runtime.ReadMemStats(&before)
	for range runs {
		refresh()
	}
	runtime.ReadMemStats(&after)
	misses = promratchet.TimerMisses(m) - misses
	other := after.Mallocs - before.Mallocs - min(misses*perTimer, after.Mallocs-before.Mallocs)
	if other/runs != 0 {
		t.Errorf("%d allocations in %d refreshes' worth of observer calls beyond the pool's %d misses", other, runs, misses)
	}
	if !raceEnabled && misses/runs != 0 {
		t.Errorf("the timer pool missed %d times in %d runs", misses, runs)
	}
	if got := value(t, families(t, reg), "ratchet_refreshes_total"); got != runs+1 {
		t.Errorf("refreshes_total = %v after the runs", got)
	}
}
