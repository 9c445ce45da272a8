package core

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time. Tests pass a *FakeClock; production uses the system clock.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// FakeClock is a manually advanced Clock, safe for concurrent use.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock stopped at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the current fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

type arrivalKey struct{}

// WithArrival records on ctx when the request arrived. Every time-based decision the engine
// makes for the request (the rotation grace window, liveness, idle and absolute expiry) uses
// this instant, not the time at which the engine got round to it: a request that arrived
// inside the grace window but waited for a database connection is still judged as having
// arrived inside it. The engine stamps the time itself when its library routes and Refresh
// are entered; adapters and apps may stamp it earlier, at the edge of the server. The first
// stamp wins.
func WithArrival(ctx context.Context, t time.Time) context.Context {
	if _, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return ctx
	}
	return context.WithValue(ctx, arrivalKey{}, t)
}

// arrival returns the time ctx says the request arrived, stamping now if it has none.
func (e *Engine) arrival(ctx context.Context) (context.Context, time.Time) {
	if t, ok := ctx.Value(arrivalKey{}).(time.Time); ok {
		return ctx, t
	}
	t := e.cfg.Clock.Now()
	return context.WithValue(ctx, arrivalKey{}, t), t
}
