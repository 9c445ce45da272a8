package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// Limiter throttles an action per key. The engine reserves an attempt before the work it
// guards (Reserve) and gives it back when the attempt turned out not to count (Refund, after a
// successful sign-in or refresh). Counting before the expensive work is what makes a limit
// hold under concurrency: N simultaneous guesses see N reservations, not N times "not yet
// blocked". Implementations must be safe for concurrent use; a shared one (Redis, see
// docs/SECURITY.md) makes limits hold across instances.
type Limiter interface {
	// Reserve counts one attempt for key and reports zero, unless key has already reached its
	// limit: then it counts nothing and reports how long key must wait. It must be atomic:
	// concurrent calls for one key never together count more than the limit.
	Reserve(ctx context.Context, key string) (time.Duration, error)
	// Refund takes back one attempt that Reserve counted for key.
	Refund(ctx context.Context, key string) error
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

// Reserve implements Limiter.
func (l *MemoryLimiter) Reserve(_ context.Context, key string) (time.Duration, error) {
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
	if w.n >= l.limit {
		return w.start.Add(l.window).Sub(now), nil
	}
	w.n++
	return 0, nil
}

// Refund implements Limiter. An attempt whose window has already ended needs no refund.
func (l *MemoryLimiter) Refund(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.m[key]; w != nil && w.n > 0 {
		w.n--
	}
	return nil
}

// reserve reserves one attempt under every check. If any limit is reached it gives back what
// it took and reports the longest wait. Limiter errors fail open for availability (a limiter
// outage must not lock users out) but are logged. The returned checks are those to refund if
// the attempt turns out not to count.
func (e *Engine) reserve(ctx context.Context, checks ...limitCheck) (time.Duration, []limitCheck) {
	var wait time.Duration
	taken := make([]limitCheck, 0, len(checks))
	for _, c := range checks {
		if c.lim == nil || c.key == "" {
			continue
		}
		d, err := c.lim.Reserve(ctx, c.key)
		if err != nil {
			e.log.WarnContext(ctx, "ratchet: rate limiter unavailable", "err", err)
			continue
		}
		if d > 0 {
			e.emit(ctx, SecurityEvent{Type: EventRateLimited, Time: e.cfg.Clock.Now(), Reason: c.logAs})
			wait = max(wait, d)
			continue
		}
		taken = append(taken, c)
	}
	if wait > 0 {
		e.refund(ctx, taken)
		return wait, nil
	}
	return 0, taken
}

// refund gives back attempts reserved by reserve.
func (e *Engine) refund(ctx context.Context, checks []limitCheck) {
	for _, c := range checks {
		if err := c.lim.Refund(ctx, c.key); err != nil {
			e.log.WarnContext(ctx, "ratchet: rate limiter unavailable", "err", err)
		}
	}
}

// limitCheck is one limit applied to one client. key is what the limiter counts under;
// logAs is what events and logs may show of it (never an email address or anything a user
// typed, which can be a password pasted into the wrong box).
type limitCheck struct {
	lim        Limiter
	key, logAs string
}

func (e *Engine) signInLimits(ip, email string) []limitCheck {
	rl := e.cfg.RateLimits
	account := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	accountKey := "signin-account:" + hex.EncodeToString(account[:])
	return []limitCheck{
		{rl.SignInPerIP, "signin-ip:" + ip, "signin-ip:" + ip},
		{rl.SignInPerAccount, accountKey, "signin-account:" + e.logDigest(email)},
	}
}

func (e *Engine) refreshLimits(ip string) []limitCheck {
	return []limitCheck{{e.cfg.RateLimits.RefreshFailuresPerIP, "refresh-ip:" + ip, "refresh-ip:" + ip}}
}

// logDigest is a keyed, per-process digest of a user-typed value: equal values give equal
// digests in one process's logs (so repeated attempts on one account can be correlated), and
// the value cannot be recovered or guessed from it.
func (e *Engine) logDigest(v string) string {
	m := hmac.New(sha256.New, e.logKey)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(v))))
	return "h:" + hex.EncodeToString(m.Sum(nil)[:8])
}

// NoLimit returns a Limiter that never blocks, to switch off one limit while keeping the
// others: RateLimits{RefreshFailuresPerIP: core.NoLimit()}.
func NoLimit() Limiter { return noLimit{} }

type noLimit struct{}

func (noLimit) Reserve(context.Context, string) (time.Duration, error) { return 0, nil }
func (noLimit) Refund(context.Context, string) error                   { return nil }
