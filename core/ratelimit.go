package core

import (
	"context"
	"strings"
	"sync"
	"time"
)

// Limiter throttles an action per key. Blocked is asked before the action; Hit records one
// counted attempt. Implementations must be safe for concurrent use; a shared one (Redis, see
// docs/SECURITY.md) makes limits hold across instances.
type Limiter interface {
	// Blocked reports how long key must wait; zero means it may proceed.
	Blocked(ctx context.Context, key string) (time.Duration, error)
	// Hit counts one attempt for key.
	Hit(ctx context.Context, key string) error
}

// RateLimits configures throttling. Nil limiters get in-memory defaults; set Disable to turn
// throttling off entirely (for example behind a gateway that already does it).
type RateLimits struct {
	// SignInPerIP counts failed sign-ins per client IP. Default: 30 per 5 minutes.
	SignInPerIP Limiter
	// SignInPerAccount counts failed sign-ins per email (case-insensitive). Default: 10 per
	// 15 minutes. Successful sign-ins are never counted.
	SignInPerAccount Limiter
	// RefreshFailuresPerIP counts refresh attempts that presented an unknown, forged or dead
	// token, per client IP: token guessing. Default: 60 per minute.
	RefreshFailuresPerIP Limiter
	// Disable turns every limit off.
	Disable bool
}

func (r *RateLimits) defaults(clk Clock) {
	if r.Disable {
		return
	}
	if r.SignInPerIP == nil {
		r.SignInPerIP = NewMemoryLimiter(30, 5*time.Minute, clk)
	}
	if r.SignInPerAccount == nil {
		r.SignInPerAccount = NewMemoryLimiter(10, 15*time.Minute, clk)
	}
	if r.RefreshFailuresPerIP == nil {
		r.RefreshFailuresPerIP = NewMemoryLimiter(60, time.Minute, clk)
	}
}

// MemoryLimiter allows Limit hits per key in a fixed window of Window. It forgets keys whose
// window has passed, so memory stays bounded by the number of recently active keys.
type MemoryLimiter struct {
	limit  int
	window time.Duration
	clock  Clock
	mu     sync.Mutex
	m      map[string]*window
	sweep  time.Time
}

type window struct {
	start time.Time
	n     int
}

// NewMemoryLimiter returns an in-process limiter of limit hits per window. A nil clock means
// the system clock.
func NewMemoryLimiter(limit int, per time.Duration, clk Clock) *MemoryLimiter {
	if clk == nil {
		clk = systemClock{}
	}
	return &MemoryLimiter{limit: limit, window: per, clock: clk, m: map[string]*window{}}
}

// Blocked implements Limiter.
func (l *MemoryLimiter) Blocked(_ context.Context, key string) (time.Duration, error) {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.m[key]
	if w == nil || !now.Before(w.start.Add(l.window)) || w.n < l.limit {
		return 0, nil
	}
	return w.start.Add(l.window).Sub(now), nil
}

// Hit implements Limiter.
func (l *MemoryLimiter) Hit(_ context.Context, key string) error {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.sweep) {
		for k, w := range l.m {
			if !now.Before(w.start.Add(l.window)) {
				delete(l.m, k)
			}
		}
		l.sweep = now.Add(l.window)
	}
	w := l.m[key]
	if w == nil || !now.Before(w.start.Add(l.window)) {
		w = &window{start: now}
		l.m[key] = w
	}
	w.n++
	return nil
}

// throttled reports the longest wait among the keys of lim; limiter errors fail open for
// availability but are logged.
func (e *Engine) throttled(ctx context.Context, checks ...limitCheck) time.Duration {
	var wait time.Duration
	for _, c := range checks {
		if c.lim == nil || c.key == "" {
			continue
		}
		d, err := c.lim.Blocked(ctx, c.key)
		if err != nil {
			e.log.WarnContext(ctx, "ratchet: rate limiter unavailable", "err", err)
			continue
		}
		if d > 0 {
			// The key names the limit and the client (IP or account), never a secret.
			e.emit(ctx, SecurityEvent{Type: EventRateLimited, Time: e.cfg.Clock.Now(), Reason: c.key})
		}
		wait = max(wait, d)
	}
	return wait
}

func (e *Engine) hit(ctx context.Context, checks ...limitCheck) {
	for _, c := range checks {
		if c.lim == nil || c.key == "" {
			continue
		}
		if err := c.lim.Hit(ctx, c.key); err != nil {
			e.log.WarnContext(ctx, "ratchet: rate limiter unavailable", "err", err)
		}
	}
}

type limitCheck struct {
	lim Limiter
	key string
}

func (e *Engine) signInLimits(ip, email string) []limitCheck {
	rl := e.cfg.RateLimits
	return []limitCheck{
		{rl.SignInPerIP, "signin-ip:" + ip},
		{rl.SignInPerAccount, "signin-account:" + strings.ToLower(strings.TrimSpace(email))},
	}
}

func (e *Engine) refreshLimits(ip string) []limitCheck {
	return []limitCheck{{e.cfg.RateLimits.RefreshFailuresPerIP, "refresh-ip:" + ip}}
}

// NoLimit is a Limiter that never blocks, to switch off one limit while keeping the others.
var NoLimit Limiter = noLimit{}

type noLimit struct{}

func (noLimit) Blocked(context.Context, string) (time.Duration, error) { return 0, nil }
func (noLimit) Hit(context.Context, string) error                      { return nil }
