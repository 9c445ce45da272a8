package promratchet

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratchetauth/ratchet/core"
)

// watched is the engine whose Stats a scrape reads.
type watched struct {
	engine      *core.Engine
	clock       core.Clock // the engine's, which stamps the feed's last poll
	since       time.Time  // when Watch was called, by clock
	admission   bool       // admission control is on
	maxInFlight int
}

// Watch makes every scrape read e.Stats(): the verify cache, the revocation feed, admission
// control and the audit writer. Call it once core.New has returned the engine this Metrics
// observes (Config.Observer must be set before New, the engine exists only after it, hence
// two steps). Calling it again replaces the engine; until the first call, scrapes carry only
// the request-path metrics.
func (m *Metrics) Watch(e *core.Engine) {
	cfg := e.Config()
	m.watched.Store(&watched{engine: e, clock: cfg.Clock, since: cfg.Clock.Now(), admission: !cfg.Admission.Disable,
		maxInFlight: cfg.Admission.MaxInFlight})
}

// pullDescs describe the metrics read from Engine.Stats at scrape time.
type pullDescs struct {
	cacheHits, cacheMisses, cacheEntries                    *prometheus.Desc
	feedLag, feedLastSuccess, feedFailures, revokedHandles  *prometheus.Desc
	admInFlight, admLimit, admWaiting, admAdmitted, admShed *prometheus.Desc
	admWait, admMaxWait                                     *prometheus.Desc
	auditWritten, auditDropped, auditFailed, auditQueued    *prometheus.Desc
}

func newPullDescs(ns string, cl prometheus.Labels) pullDescs {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(ns, "", name), help, nil, cl)
	}
	return pullDescs{
		cacheHits:    d("verify_cache_hits_total", "Access tokens verified from the verify cache, without a signature check."),
		cacheMisses:  d("verify_cache_misses_total", "Access tokens that needed a signature check (not in the verify cache)."),
		cacheEntries: d("verify_cache_entries", "Access tokens in the verify cache now."),
		feedLag: d("revocation_feed_lag_seconds",
			"Seconds since the last successful poll of the revocation feed (since Watch when none succeeded yet): how late this instance may be in refusing sessions revoked on another."),
		feedLastSuccess: d("revocation_feed_last_success_timestamp_seconds", "Unix time of the last successful poll of the revocation feed."),
		feedFailures:    d("revocation_feed_failures_total", "Polls of the revocation feed that failed."),
		revokedHandles:  d("revoked_handles", "Revoked sessions remembered now, whose access tokens this instance refuses until they expire."),
		admInFlight:     d("admission_in_flight", "Operations holding an admission slot (store work running) now."),
		admLimit:        d("admission_max_in_flight", "Admission slots: the most store operations that may run at once (Config.Admission.MaxInFlight)."),
		admWaiting:      d("admission_waiting", "Requests waiting for an admission slot now."),
		admAdmitted:     d("admission_admitted_total", "Operations that got an admission slot."),
		admShed:         d("admission_shed_total", "Requests shed (503 with Retry-After) because no slot freed within Admission.MaxWait."),
		admWait:         d("admission_wait_seconds_total", "Time admitted operations spent waiting for their slot."),
		admMaxWait:      d("admission_max_wait_seconds", "The longest wait any admitted operation had for its slot."),
		auditWritten:    d("audit_events_written_total", "Security events the store's audit log accepted."),
		auditDropped:    d("audit_events_dropped_total", "Security events dropped before reaching the audit log: its queue was full, or the engine closed."),
		auditFailed:     d("audit_events_failed_total", "Security events lost because the audit log's AppendEvents failed."),
		auditQueued:     d("audit_events_queued", "Security events waiting in the audit writer's queue now."),
	}
}

func (p *pullDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{p.cacheHits, p.cacheMisses, p.cacheEntries, p.feedLag, p.feedLastSuccess, p.feedFailures,
		p.revokedHandles, p.admInFlight, p.admLimit, p.admWaiting, p.admAdmitted, p.admShed, p.admWait, p.admMaxWait,
		p.auditWritten, p.auditDropped, p.auditFailed, p.auditQueued}
}

func (p *pullDescs) describe(ch chan<- *prometheus.Desc) {
	for _, d := range p.all() {
		ch <- d
	}
}

// collect sends the watched engine's Stats. A part the engine does not run (no verify cache,
// no revocation feed, admission or audit log off) is left out rather than sent as zeros.
func (p *pullDescs) collect(ch chan<- prometheus.Metric, w *watched) {
	st := w.engine.Stats()
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	if c := st.VerifyCache; c.Enabled {
		counter(p.cacheHits, float64(c.Hits))
		counter(p.cacheMisses, float64(c.Misses))
		gauge(p.cacheEntries, float64(c.Entries))
	}
	gauge(p.revokedHandles, float64(st.Feed.Revocations))
	if f := st.Feed; f.Enabled {
		last := w.since
		if !f.LastPoll.IsZero() {
			last = f.LastPoll
			gauge(p.feedLastSuccess, float64(f.LastPoll.UnixNano())/1e9)
		}
		gauge(p.feedLag, max(w.clock.Now().Sub(last).Seconds(), 0))
		counter(p.feedFailures, float64(f.Failures))
	}
	if a := st.Admission; w.admission {
		gauge(p.admInFlight, float64(a.InFlight))
		gauge(p.admLimit, float64(w.maxInFlight))
		gauge(p.admWaiting, float64(a.Waiting))
		counter(p.admAdmitted, float64(a.Admitted))
		counter(p.admShed, float64(a.Shed))
		counter(p.admWait, a.TotalWait.Seconds())
		gauge(p.admMaxWait, a.MaxWait.Seconds())
	}
	if a := st.Audit; a.Enabled {
		counter(p.auditWritten, float64(a.Written))
		counter(p.auditDropped, float64(a.Dropped))
		counter(p.auditFailed, float64(a.Failed))
		gauge(p.auditQueued, float64(a.Queued))
	}
}
