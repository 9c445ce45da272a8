package core

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// ErrOverloaded is returned when a request that needs the store could not start its store
// work within Admission.MaxWait: the engine sheds it at once instead of letting it queue for
// seconds and run late. Wire: 503 {"message":"session store unavailable"} with Retry-After.
// Nothing was read or written, so the client can retry with the same tokens.
var ErrOverloaded = errors.New("ratchet: overloaded; retry shortly")

// Admission bounds the store work one engine runs at once. Sign-in, refresh, sign-out, the
// sessions routes and strict (CheckDatabase) verification each take a slot before they touch
// the store and give it back when they finish; stateless verification never needs one.
//
// Without a bound, an overloaded instance queues requests for seconds inside the database
// pool, every one of them eventually runs, and a client's retries pile onto the queue. With
// it, a request either starts within MaxWait and finishes within OpTimeout, or fails fast
// with 503 and Retry-After, so a refresh's latency is bounded by MaxWait + OpTimeout.
type Admission struct {
	// MaxInFlight is how many admitted operations may run at once. Default: one less than the
	// store's connection-pool size when it reports one (PoolSizer; the GORM store does), so
	// background work always finds a connection, else 32. Keep it below the pool size: more
	// only moves the queue into the pool.
	MaxInFlight int
	// MaxWait is how long a request may wait for a slot before it is shed. Default 1 s.
	MaxWait time.Duration
	// OpTimeout bounds each admitted operation's store work (a context deadline). Default 5 s.
	OpTimeout time.Duration
	// Disable turns admission control off (every request goes straight to the store).
	Disable bool
}

// PoolSizer is an optional Store capability: the size of the store's connection pool, which
// Admission.MaxInFlight defaults to. Zero or less means unknown or unbounded.
type PoolSizer interface {
	PoolSize() int
}

// Defaults of Admission.
const (
	DefaultAdmissionMaxInFlight = 32
	DefaultAdmissionMaxWait     = time.Second
	DefaultAdmissionOpTimeout   = 5 * time.Second
)

func (a *Admission) defaults(store Store) error {
	if a.MaxInFlight < 0 || a.MaxWait < 0 || a.OpTimeout < 0 {
		return configErr("Admission values must not be negative")
	}
	if a.MaxInFlight == 0 {
		a.MaxInFlight = DefaultAdmissionMaxInFlight
		if p, ok := store.(PoolSizer); ok && p.PoolSize() > 0 {
			// One connection stays free for the engine's background work (the revocation
			// feed, key-ring reloads, the janitor): under overload they must not queue
			// behind requests, or revocations would reach other instances late.
			a.MaxInFlight = max(p.PoolSize()-1, 1)
		}
	}
	setDefault(&a.MaxWait, DefaultAdmissionMaxWait)
	setDefault(&a.OpTimeout, DefaultAdmissionOpTimeout)
	return nil
}

// AdmissionStats are counters of an engine's admission control since it started.
type AdmissionStats struct {
	InFlight  int           // operations running now
	Waiting   int           // requests waiting for a slot now
	Admitted  uint64        // operations that got a slot
	Shed      uint64        // requests refused with ErrOverloaded
	TotalWait time.Duration // time admitted operations spent waiting for their slot
	MaxWait   time.Duration // the longest such wait
}

// admission is the engine's semaphore and its counters.
type admission struct {
	slots    chan struct{}
	waiting  atomic.Int64
	admitted atomic.Uint64
	shed     atomic.Uint64
	waitNS   atomic.Int64
	maxNS    atomic.Int64
	lastWarn atomic.Int64 // unix nanoseconds of the last "shedding" log record
}

type admittedKey struct{}

// admit takes a slot for the store work of the request behind ctx, waiting at most MaxWait.
// It returns a context carrying the operation's deadline and the release function; a request
// already admitted (a route calling CreateSession, a strict check inside a route) reuses its
// slot, so nested calls never deadlock.
func (e *Engine) admit(ctx context.Context) (context.Context, func(), error) {
	if e.adm == nil || ctx.Value(admittedKey{}) != nil {
		return ctx, func() {}, nil
	}
	a := e.adm
	start := time.Now()
	select {
	case a.slots <- struct{}{}:
	default:
		a.waiting.Add(1)
		t := time.NewTimer(e.cfg.Admission.MaxWait)
		select {
		case a.slots <- struct{}{}:
			t.Stop()
			a.waiting.Add(-1)
		case <-t.C:
			a.waiting.Add(-1)
			return ctx, nil, e.shedding(ctx)
		case <-ctx.Done():
			t.Stop()
			a.waiting.Add(-1)
			return ctx, nil, ctx.Err()
		}
	}
	waited := time.Since(start)
	a.admitted.Add(1)
	a.waitNS.Add(int64(waited))
	for {
		m := a.maxNS.Load()
		if int64(waited) <= m || a.maxNS.CompareAndSwap(m, int64(waited)) {
			break
		}
	}
	ctx = context.WithValue(ctx, admittedKey{}, true)
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Admission.OpTimeout)
	return ctx, func() { cancel(); <-a.slots }, nil
}

// shedding counts a shed request and logs, at most once a second, that the engine sheds.
func (e *Engine) shedding(ctx context.Context) error {
	a := e.adm
	n := a.shed.Add(1)
	now := time.Now().UnixNano()
	if last := a.lastWarn.Load(); now-last > int64(time.Second) && a.lastWarn.CompareAndSwap(last, now) {
		e.log.WarnContext(ctx, "ratchet: overloaded: shedding requests that need the store",
			"max_in_flight", cap(a.slots), "max_wait", e.cfg.Admission.MaxWait, "shed_total", n)
	}
	return &Error{Kind: ErrOverloaded, Reason: "no store slot within Admission.MaxWait", RetryAfter: time.Second}
}

// AdmissionStats returns the counters of the engine's admission control (all zero when it is
// disabled).
func (e *Engine) AdmissionStats() AdmissionStats {
	a := e.adm
	if a == nil {
		return AdmissionStats{}
	}
	return AdmissionStats{InFlight: len(a.slots), Waiting: int(a.waiting.Load()), Admitted: a.admitted.Load(),
		Shed: a.shed.Load(), TotalWait: time.Duration(a.waitNS.Load()), MaxWait: time.Duration(a.maxNS.Load())}
}
