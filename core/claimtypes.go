package core

import (
	"context"
	"fmt"
	"time"
)

// Claim is an app-defined value carried in the access-token payload as {"v":value,"t":ms},
// the shape the SuperTokens frontend SDK reads. Register claims in Config.Claims: each is
// fetched when a session is created and re-fetched on refresh once older than MaxAge, so a
// role change reaches the token within one refresh without a database read per request.
type Claim struct {
	// Key is the payload member, e.g. "st-role". It must not be a protected claim.
	Key string
	// Fetch loads the current value for the user (roles from your database, say).
	Fetch func(ctx context.Context, userID string) (any, error)
	// MaxAge: re-fetch on refresh when the value is older. Zero means fetch on every refresh.
	MaxAge time.Duration

	clock Clock
}

// PrimitiveClaim is a claim holding one JSON scalar (a string, number or boolean).
func PrimitiveClaim(key string, maxAge time.Duration, fetch func(ctx context.Context, userID string) (any, error)) *Claim {
	return &Claim{Key: key, Fetch: fetch, MaxAge: maxAge}
}

// ArrayClaim is a claim holding a list, such as roles or permissions.
func ArrayClaim(key string, maxAge time.Duration, fetch func(ctx context.Context, userID string) ([]string, error)) *Claim {
	return &Claim{Key: key, MaxAge: maxAge, Fetch: func(ctx context.Context, u string) (any, error) {
		v, err := fetch(ctx, u)
		if v == nil {
			v = []string{}
		}
		return v, err
	}}
}

// BooleanClaim is a claim holding true or false, such as "email verified".
func BooleanClaim(key string, maxAge time.Duration, fetch func(ctx context.Context, userID string) (bool, error)) *Claim {
	return &Claim{Key: key, MaxAge: maxAge, Fetch: func(ctx context.Context, u string) (any, error) { return fetch(ctx, u) }}
}

// claimValue is the payload shape of a claim.
type claimValue struct {
	V any   `json:"v"`
	T int64 `json:"t"` // fetch time, ms since epoch
}

// read extracts the claim from a payload.
func (c *Claim) read(p map[string]any) (v any, fetched time.Time, ok bool) {
	m, _ := p[c.Key].(map[string]any)
	if m == nil {
		return nil, time.Time{}, false
	}
	t, _ := m["t"].(float64)
	return m["v"], time.UnixMilli(int64(t)), true
}

// Value returns the claim's value and fetch time from a session's payload.
func (c *Claim) Value(s *Session) (any, time.Time, bool) { return c.read(s.current().claims()) }

func (c *Claim) now() time.Time {
	if c.clock == nil {
		return time.Now()
	}
	return c.clock.Now()
}

// validator builds a validator that also fails when the value is older than maxAge (0: any age).
func (c *Claim) validator(maxAge time.Duration, check func(v any) any) ClaimValidator {
	return ClaimValidator{ID: c.Key, Validate: func(p map[string]any) any {
		v, t, ok := c.read(p)
		if !ok {
			return map[string]any{"message": "value does not exist"}
		}
		if maxAge > 0 && c.now().Sub(t) > maxAge {
			return map[string]any{"message": "expired", "ageInSeconds": int64(c.now().Sub(t) / time.Second),
				"maxAgeInSeconds": int64(maxAge / time.Second)}
		}
		return check(v)
	}}
}

// HasValue requires the value to equal want (JSON numbers compare as float64).
func (c *Claim) HasValue(want any, maxAge time.Duration) ClaimValidator {
	return c.validator(maxAge, func(v any) any {
		if fmt.Sprint(v) != fmt.Sprint(want) {
			return map[string]any{"message": "wrong value", "expectedValue": want, "actualValue": v}
		}
		return nil
	})
}

// IsTrue requires a BooleanClaim to be true.
func (c *Claim) IsTrue(maxAge time.Duration) ClaimValidator { return c.HasValue(true, maxAge) }

// IsFalse requires a BooleanClaim to be false.
func (c *Claim) IsFalse(maxAge time.Duration) ClaimValidator { return c.HasValue(false, maxAge) }

// Includes requires an ArrayClaim to contain item.
func (c *Claim) Includes(item string, maxAge time.Duration) ClaimValidator {
	return c.validator(maxAge, func(v any) any {
		if !contains(v, item) {
			return map[string]any{"message": "wrong value", "includes": item, "actualValue": v}
		}
		return nil
	})
}

// Excludes requires an ArrayClaim not to contain item.
func (c *Claim) Excludes(item string, maxAge time.Duration) ClaimValidator {
	return c.validator(maxAge, func(v any) any {
		if contains(v, item) {
			return map[string]any{"message": "wrong value", "excludes": item, "actualValue": v}
		}
		return nil
	})
}

// IncludesAny requires an ArrayClaim to contain at least one of items.
func (c *Claim) IncludesAny(items []string, maxAge time.Duration) ClaimValidator {
	return c.validator(maxAge, func(v any) any {
		for _, it := range items {
			if contains(v, it) {
				return nil
			}
		}
		return map[string]any{"message": "wrong value", "includesAny": items, "actualValue": v}
	})
}

func contains(v any, item string) bool {
	switch list := v.(type) {
	case []any:
		for _, x := range list {
			if s, ok := x.(string); ok && s == item {
				return true
			}
		}
	case []string:
		for _, s := range list {
			if s == item {
				return true
			}
		}
	}
	return false
}

// fetchClaims loads every registered claim whose value in payload is missing or older than its
// MaxAge (all of them when force), returning the members to merge, or nil when none changed.
func (e *Engine) fetchClaims(ctx context.Context, userID string, payload map[string]any, force bool) (map[string]any, error) {
	now := e.cfg.Clock.Now()
	var upd map[string]any
	for _, c := range e.cfg.Claims {
		if _, t, ok := c.read(payload); ok && !force && now.Sub(t) < c.MaxAge {
			continue
		}
		v, err := c.Fetch(ctx, userID)
		if err != nil {
			return nil, fmt.Errorf("ratchet: fetching claim %q: %w", c.Key, err)
		}
		if upd == nil {
			upd = map[string]any{}
		}
		upd[c.Key] = claimValue{V: v, T: now.UnixMilli()}
	}
	return upd, nil
}
