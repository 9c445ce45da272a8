package demo

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	promratchet "github.com/ratchetauth/ratchet/metrics/prometheus"
)

// newMetrics is METRICS=1: the ratchet observer (set it as Config.Observer, then Watch the
// engine) on a registry of the app's own, with the Go runtime and process collectors, and
// the handler that serves it at /metrics. A registry per app, not the global one, so that
// several apps in one process (the tests) never collide.
func newMetrics() (*promratchet.Metrics, http.Handler, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m, err := promratchet.New(promratchet.Options{Registerer: reg})
	if err != nil {
		return nil, nil, err
	}
	return m, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}), nil
}
