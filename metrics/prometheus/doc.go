// Package promratchet exports a ratchet engine's metrics to Prometheus.
//
// Its import path is github.com/ratchetauth/ratchet/metrics/prometheus. A *Metrics is two
// things: a core.Observer, which counts security events and times every engine operation and
// store call as it happens, and a prometheus.Collector, which reads Engine.Stats (verify
// cache, revocation feed, admission control, audit writer) when it is scraped. The observer
// must be in the Config before core.New, and the engine exists only after it, so wiring takes
// two steps:
//
//	reg := prometheus.NewRegistry() // or prometheus.DefaultRegisterer
//	m, err := promratchet.New(promratchet.Options{Registerer: reg})
//	if err != nil { … }
//	cfg.Observer = m // core.Observers(m, other) to add another observer
//	engine, err := core.New(cfg)
//	if err != nil { … }
//	m.Watch(engine)
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// docs/OPERATIONS.md lists every metric with its labels, what a healthy value looks like
// and the alerts worth setting.
//
// # Labels
//
// Every label has a fixed, small set of values: op (core's Op… constants), outcome (ok,
// rejected, shed, error), type (core's Event… constants, or other) and result (ok, failed).
// No metric carries a user id, a session handle, an IP address, a user agent or a token: the
// observer reads nothing of a security event but its type.
//
// # Outcomes
//
// An operation that ends in an answer (a wrong password, an expired or stolen refresh token,
// a CSRF refusal, a row that does not exist) is rejected, not an error: only failures count
// as outcome="error" and in store_errors_total, meaning errors wrapping core.ErrStore, ended
// contexts (context.Canceled, context.DeadlineExceeded) and errors the engine does not know.
// core.ErrOverloaded is shed.
//
// # Cost
//
// On the request path the observer allocates nothing: the label children of every operation
// and event type are resolved in New, and the function StartOp returns comes from a pool.
// BenchmarkRefresh measures a refresh with and without it. The warm verify path (a cached
// access token) calls no observer at all.
package promratchet
