package demotest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

// Metrics checks METRICS: by default the app has no /metrics (404); the real main started
// with METRICS=1 announces /metrics in its banner and serves it in the Prometheus text format
// with this framework's router, and after a sign-in and a refresh over HTTP the ratchet
// counters show them, with no user's data in any label.
func Metrics(t *testing.T, build func(*demo.App) demo.Server) {
	t.Run("off", func(t *testing.T) {
		base := Start(t, build, nil)
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics without METRICS=1: %d, want 404", res.StatusCode)
		}
	})
	t.Run("on", func(t *testing.T) {
		app := startApp(t, "METRICS=1")
		if !strings.Contains(app.banner, "http://"+strings.TrimPrefix(app.base, "http://")+"/metrics") {
			t.Errorf("the banner does not show /metrics:\n%s", app.banner)
		}
		alice := newAgent(t, app.base)
		in := alice.do("POST", "/auth/signin", `{"email":"alice@example.com","password":"demo-password"}`)
		expect(t, "sign-in", in, 200, "")
		refresh := in.header.Get("st-refresh-token")
		if refresh == "" {
			t.Fatal("header-mode sign-in sent no refresh token")
		}
		alice.bearer = refresh
		r := alice.do("POST", "/auth/session/refresh", "")
		expect(t, "refresh", r, 200, "")

		mfs := scrapeMetrics(t, app.base+"/metrics")
		for _, c := range []struct {
			name   string
			labels []string
		}{
			{"ratchet_sign_ins_total", []string{"result", "ok"}},
			{"ratchet_refreshes_total", nil},
			{"ratchet_operation_duration_seconds", []string{"op", "refresh", "outcome", "ok"}},
			// The instance that signed alice in rotates in one statement (core.Rotator).
			{"ratchet_store_duration_seconds", []string{"op", "store.rotate"}},
		} {
			if v := sample(mfs, c.name, c.labels...); v <= 0 {
				t.Errorf("%s%v = %v after a sign-in and a refresh, want more than 0\n%s", c.name, c.labels, v, app.logTail())
			}
		}
		if _, ok := mfs["go_goroutines"]; !ok {
			t.Error("no Go runtime metrics")
		}
		if _, ok := mfs["ratchet_verify_cache_hits_total"]; !ok {
			t.Error("no metrics from the engine's Stats (Watch)")
		}
		for name, mf := range mfs {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					for _, s := range []string{"alice", refresh, r.header.Get("st-access-token"), "127.0.0.1"} {
						if s != "" && strings.Contains(lp.GetValue(), s) {
							t.Errorf("%s: label %s carries a user's data", name, lp.GetName())
						}
					}
				}
			}
		}
	})
}

// scrapeMetrics GETs url and parses the Prometheus text format.
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s: %d %s, want 200 in the text format", url, res.StatusCode, res.Header.Get("Content-Type"))
	}
	mfs := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(res.Body, expfmt.ResponseFormat(res.Header))
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("parsing %s: %v", url, err)
		}
		mfs[mf.GetName()] = mf
	}
	return mfs
}

// sample is the value of the first sample of family name whose labels include labels: a
// counter's or gauge's value, a histogram's count; -1 when there is none.
func sample(mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	for _, m := range mfs[name].GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.GetLabel() {
				found = found || (lp.GetName() == labels[i] && lp.GetValue() == labels[i+1])
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}
