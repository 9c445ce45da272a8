package promratchet_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	promratchet "github.com/ratchetauth/ratchet/metrics/prometheus"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// The demo user. None of these, nor any token, IP address or session handle, may appear in a
// metric.
const (
	userID   = "user-7f3a9c"
	email    = "alice@example.com"
	password = "correct horse battery staple"
)

var epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// rig is an engine over the memory store with the Prometheus observer on a registry of its
// own, and a fake clock.
type rig struct {
	engine *core.Engine
	clock  *core.FakeClock
	store  *faultyStore
	reg    *prometheus.Registry
	m      *promratchet.Metrics
}

// newRig builds the rig; tweak changes the engine's Config before New.
func newRig(t testing.TB, tweak func(*core.Config)) *rig {
	t.Helper()
	r := &rig{clock: core.NewFakeClock(epoch), store: &faultyStore{Store: memory.New()}, reg: prometheus.NewPedanticRegistry()}
	var err error
	if r.m, err = promratchet.New(promratchet.Options{Registerer: r.reg}); err != nil {
		t.Fatal(err)
	}
	cfg := core.Config{
		Store:          r.store,
		Clock:          r.clock,
		AllowedOrigins: []string{"http://app.example"},
		Authenticate:   authenticate,
		Observer:       r.m,
		// One poll at New and none after it during a test: the feed's lag is then exactly
		// what the fake clock moved.
		RevocationPollInterval: time.Hour,
		Logger:                 quietLogger(),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	if r.engine, err = core.New(cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.engine.Close() })
	r.m.Watch(r.engine)
	return r
}

func authenticate(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	if r.Email != email || r.Password != password {
		return nil, core.ErrWrongCredentials
	}
	return &core.Identity{UserID: userID, User: map[string]string{"id": userID}}, nil
}

// faultyStore is the memory store with injectable faults: Get and Rotate (the one-statement
// rotation) fail with errDisk while fail is set, and block while block is set (until the
// channel is closed).
type faultyStore struct {
	*memory.Store
	fail    atomic.Bool
	block   atomic.Pointer[chan struct{}]
	entered chan struct{} // receives once per blocked Get, when it starts to wait
}

var errDisk = errors.New("disk on fire")

func (s *faultyStore) Get(ctx context.Context, handle string) (*core.Record, error) {
	if err := s.fault(); err != nil {
		return nil, err
	}
	return s.Store.Get(ctx, handle)
}

func (s *faultyStore) Rotate(ctx context.Context, handle string, r core.Rotation) (bool, error) {
	if err := s.fault(); err != nil {
		return false, err
	}
	return s.Store.Rotate(ctx, handle, r)
}

func (s *faultyStore) fault() error {
	if s.fail.Load() {
		return errDisk
	}
	if b := s.block.Load(); b != nil {
		s.entered <- struct{}{}
		<-*b
	}
	return nil
}

// families gathers the registry into metric families by name.
func families(t testing.TB, g prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// scrape GETs url (a promhttp handler) and parses the text exposition format.
func scrape(t testing.TB, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET %s: Content-Type %q, want the text format", url, ct)
	}
	out := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(res.Body, expfmt.ResponseFormat(res.Header))
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("parsing %s: %v", url, err)
		}
		out[mf.GetName()] = mf
	}
	return out
}

// value is the value of the sample of family name whose labels include labels (name, value,
// name, value…): a counter's or gauge's value, a histogram's sample count. It fails the test
// when there is no such sample.
func value(t testing.TB, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	v, ok := lookup(mfs, name, labels...)
	if !ok {
		t.Fatalf("no sample %s%v", name, labels)
	}
	return v
}

func lookup(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if !hasLabels(m, labels...) {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func hasLabels(m *dto.Metric, labels ...string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// expect checks a sample's value.
func expect(t testing.TB, mfs map[string]*dto.MetricFamily, want float64, name string, labels ...string) {
	t.Helper()
	if got := value(t, mfs, name, labels...); got != want {
		t.Errorf("%s%v = %v, want %v", name, labels, got, want)
	}
}

// newHTTP serves r's engine through the net/http adapter on a test server.
func newHTTP(t *testing.T, r *rig) client {
	mux := http.NewServeMux()
	mux.Handle("/auth/", httpratchet.New(r.engine).Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return client{t, srv}
}
