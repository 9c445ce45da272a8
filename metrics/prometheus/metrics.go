package promratchet

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ratchetauth/ratchet/core"
)

// DefaultNamespace prefixes every metric name unless Options.Namespace says otherwise.
const DefaultNamespace = "ratchet"

// DefaultBuckets are the latency histograms' buckets, in seconds: from half a millisecond (an
// in-memory store, a cached row) to five seconds (a sign-in's password hash on a loaded
// machine, a store at the end of its timeout).
var DefaultBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

// Options configure New.
type Options struct {
	// Registerer receives the metrics: prometheus.DefaultRegisterer for the global registry
	// that promhttp.Handler serves, or a registry of your own. Required: New registers nothing
	// implicitly.
	Registerer prometheus.Registerer
	// Namespace prefixes every metric name (Namespace_sign_ins_total). Default "ratchet".
	Namespace string
	// ConstLabels are added to every metric, e.g. {"engine": "admin"} to tell two engines of
	// one process apart in one registry. They must be fixed, bounded values.
	ConstLabels prometheus.Labels
	// Buckets are the latency histograms' upper bounds in seconds. Default DefaultBuckets.
	Buckets []float64
}

// Metrics exports an engine's metrics to Prometheus. It is a core.Observer (set it as
// core.Config.Observer) for what happens on the request path, and a prometheus.Collector that
// reads Engine.Stats when scraped (call Watch with the engine once core.New has returned).
// Every method is safe for concurrent use.
type Metrics struct {
	engineOps map[string]*engineOp // by op: the four engine operations
	storeOps  map[string]*storeOp  // by op: store and audit-log calls
	events    map[string]prometheus.Counter
	other     prometheus.Counter // security events of a type this version does not know
	signIns   [2]prometheus.Counter
	named     map[string]prometheus.Counter // the clearly named counters, by event type

	opDuration    *prometheus.HistogramVec
	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	push          []prometheus.Collector
	extra         sync.Map // op → *engineOp or *storeOp, for operations a newer core adds

	pull    pullDescs
	watched atomic.Pointer[watched]
	timers  sync.Pool     // *timer
	misses  atomic.Uint64 // timers the pool had to make (tests read it)
}

// engineOp holds one engine operation's histogram children, by outcome.
type engineOp struct {
	duration [len(outcomes)]prometheus.Observer
}

// storeOp holds one store operation's histogram and error counter.
type storeOp struct {
	duration prometheus.Observer
	errors   prometheus.Counter
}

// engineOpNames are the engine operations; every other op is a store or audit-log call.
var engineOpNames = []string{core.OpSignIn, core.OpIssueTokens, core.OpRefresh, core.OpVerifyStrict}

var storeOpNames = []string{core.OpStoreCreate, core.OpStoreGet, core.OpStoreUpdate, core.OpStoreRotate, core.OpStoreList, core.OpStoreRevoke,
	core.OpStoreRevokeAll, core.OpStoreExpire, core.OpStoreFeed, core.OpAuditAppend}

// eventTypes are the security event types that have a child of security_events_total.
var eventTypes = []string{core.EventSignIn, core.EventSignInFailed, core.EventSignOut, core.EventRefresh,
	core.EventTokenTheft, core.EventForgedToken, core.EventRevoked, core.EventCSRFRejected, core.EventFixationReset,
	core.EventUnknownToken, core.EventRateLimited, core.EventStaleToken, core.EventKeyCreated, core.EventKeyRevoked,
	core.EventKEKRewrapped, core.EventAnomaly}

// otherEventType is the type label of events whose type is not in eventTypes.
const otherEventType = "other"

// New builds the metrics and registers them with opts.Registerer. It returns an error when
// Registerer is nil or refuses them (the same names and constant labels registered twice).
func New(opts Options) (*Metrics, error) {
	if opts.Registerer == nil {
		return nil, errors.New("promratchet: Options.Registerer is nil; pass prometheus.DefaultRegisterer or a registry of your own")
	}
	m := build(opts)
	if err := opts.Registerer.Register(m); err != nil {
		return nil, err
	}
	return m, nil
}

func build(opts Options) *Metrics {
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	buckets := opts.Buckets
	if len(buckets) == 0 {
		buckets = DefaultBuckets
	}
	cl := opts.ConstLabels
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help, ConstLabels: cl})
	}
	m := &Metrics{
		engineOps: map[string]*engineOp{},
		storeOps:  map[string]*storeOp{},
		events:    map[string]prometheus.Counter{},
		named:     map[string]prometheus.Counter{},
		opDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "operation_duration_seconds",
			Help:    "Time the engine's operations took (sign_in, issue_tokens, refresh, verify_strict), by outcome: ok, rejected (an answer such as a wrong password or a stolen token), shed (overloaded), error (a failure).",
			Buckets: buckets, ConstLabels: cl}, []string{"op", "outcome"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "store_duration_seconds",
			Help:    "Time each call to the session store (store.*) and the audit log (audit.append) took.",
			Buckets: buckets, ConstLabels: cl}, []string{"op"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "store_errors_total",
			Help: "Store and audit-log calls that failed: errors other than a missing row, and ended contexts.", ConstLabels: cl},
			[]string{"op"}),
	}
	events := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "security_events_total",
		Help: "Security events, by type (core.Event… constants; other for types this module does not know).", ConstLabels: cl},
		[]string{"type"})
	signIns := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "sign_ins_total",
		Help: "Sign-ins through the sign-in route, by result: ok (a session was created) or failed (wrong credentials).", ConstLabels: cl},
		[]string{"result"})
	m.signIns = [2]prometheus.Counter{signIns.WithLabelValues("ok"), signIns.WithLabelValues("failed")}
	m.named[core.EventRefresh] = counter("refreshes_total", "Refresh-token rotations that issued a new token (refresh events; answers inside the grace window are not rotations).")
	m.named[core.EventTokenTheft] = counter("token_thefts_total", "Superseded refresh tokens presented again outside the grace window: the session was revoked as stolen.")
	m.named[core.EventRevoked] = counter("revocations_total", "Sessions revoked by the app, an admin, another device or a policy (session_revoked events; sign-outs and thefts are counted apart).")
	m.named[core.EventRateLimited] = counter("rate_limited_total", "Requests refused by a rate limit (failed sign-ins or refresh-token guessing).")
	for _, op := range engineOpNames {
		m.engineOps[op] = m.newEngineOp(op)
	}
	for _, op := range storeOpNames {
		m.storeOps[op] = m.newStoreOp(op)
	}
	for _, t := range eventTypes {
		m.events[t] = events.WithLabelValues(t)
	}
	m.other = events.WithLabelValues(otherEventType)
	m.push = []prometheus.Collector{m.opDuration, m.storeDuration, m.storeErrors, events, signIns}
	for _, t := range []string{core.EventRefresh, core.EventTokenTheft, core.EventRevoked, core.EventRateLimited} {
		m.push = append(m.push, m.named[t])
	}
	m.pull = newPullDescs(ns, cl)
	m.timers.New = func() any {
		m.misses.Add(1)
		t := &timer{m: m}
		t.end = t.finish // bound once: StartOp hands out this func value without allocating
		return t
	}
	return m
}

func (m *Metrics) newEngineOp(op string) *engineOp {
	o := &engineOp{}
	for i, out := range outcomes {
		o.duration[i] = m.opDuration.WithLabelValues(op, out)
	}
	return o
}

func (m *Metrics) newStoreOp(op string) *storeOp {
	return &storeOp{duration: m.storeDuration.WithLabelValues(op), errors: m.storeErrors.WithLabelValues(op)}
}

// timer measures one operation. StartOp takes one from a pool and its end function puts it
// back, so the request path allocates nothing. The engine calls the end function exactly once
// (core.Observer's contract), after which the timer is reused.
type timer struct {
	m     *Metrics
	start time.Time
	eng   *engineOp
	store *storeOp
	end   func(error)
}

func (t *timer) finish(err error) {
	d := time.Since(t.start).Seconds()
	if t.eng != nil {
		t.eng.duration[outcome(err)].Observe(d)
	} else {
		t.store.duration.Observe(d)
		if outcome(err) == isError {
			t.store.errors.Inc()
		}
	}
	t.eng, t.store = nil, nil
	t.m.timers.Put(t)
}

// StartOp implements core.Observer: it times op and, when the engine ends it, records the
// duration by outcome (engine operations) or the duration and any failure (store calls).
// The context is returned unchanged.
func (m *Metrics) StartOp(ctx context.Context, op string) (context.Context, func(error)) {
	t := m.timers.Get().(*timer)
	if e, ok := m.engineOps[op]; ok {
		t.eng = e
	} else if s, ok := m.storeOps[op]; ok {
		t.store = s
	} else {
		t.eng, t.store = m.unknownOp(op)
	}
	t.start = time.Now()
	return ctx, t.end
}

// unknownOp resolves an operation this version does not list (a newer core's): store.* and
// audit.* ones are store calls, the rest engine operations. Op names are core's constants, so
// the set stays bounded.
func (m *Metrics) unknownOp(op string) (*engineOp, *storeOp) {
	v, ok := m.extra.Load(op)
	if !ok {
		if strings.HasPrefix(op, "store.") || strings.HasPrefix(op, "audit.") {
			v, _ = m.extra.LoadOrStore(op, m.newStoreOp(op))
		} else {
			v, _ = m.extra.LoadOrStore(op, m.newEngineOp(op))
		}
	}
	switch o := v.(type) {
	case *engineOp:
		return o, nil
	default:
		return nil, o.(*storeOp)
	}
}

// Event implements core.Observer: it counts ev by type, and in the named counters that
// exist for its type. Nothing of the event but its type is used.
func (m *Metrics) Event(_ context.Context, ev core.SecurityEvent) {
	c, ok := m.events[ev.Type]
	if !ok {
		m.other.Inc()
		return
	}
	c.Inc()
	switch ev.Type {
	case core.EventSignIn:
		m.signIns[0].Inc()
	case core.EventSignInFailed:
		m.signIns[1].Inc()
	default:
		if n, ok := m.named[ev.Type]; ok {
			n.Inc()
		}
	}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.push {
		c.Describe(ch)
	}
	m.pull.describe(ch)
}

// Collect implements prometheus.Collector: the request-path metrics, and the watched
// engine's Stats read now.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.push {
		c.Collect(ch)
	}
	if w := m.watched.Load(); w != nil {
		m.pull.collect(ch, w)
	}
}

var (
	_ core.Observer        = (*Metrics)(nil)
	_ prometheus.Collector = (*Metrics)(nil)
)
