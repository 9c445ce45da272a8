package core

// The KeyRing methods on the request path (SigningKey, VerificationKey, JWKS), which read the
// current view only, except that a plausible unknown kid may trigger a rate-limited reload.

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// SigningKey implements KeyRing: the key whose turn it is at the clock's now.
func (r *StoreKeyRing) SigningKey() (*SigningKey, error) {
	return r.view.Load().signingAt(r.clock.Now())
}

// VerificationKey implements KeyRing. A kid the ring does not know, but that could be one of
// ours, makes it re-read the store (at most once per UnknownKidReloadLimit).
func (r *StoreKeyRing) VerificationKey(kid string) (*VerificationKey, bool) {
	now := r.clock.Now()
	if k := r.view.Load().byKID[kid]; k != nil {
		if k.verifies(now, r.Overlap()) {
			return k.vk, true
		}
		return nil, false
	}
	if !r.reloadForKid(kid, now) {
		return nil, false
	}
	if k := r.view.Load().byKID[kid]; k != nil && k.verifies(now, r.Overlap()) {
		return k.vk, true
	}
	return nil, false
}

// plausibleKid accepts only kids a ring could have made recently ("d-<ms>" within two
// rotation intervals of now), so that forged kids cannot make the ring read the store.
func (r *StoreKeyRing) plausibleKid(kid string, now time.Time) bool {
	ms, ok := strings.CutPrefix(kid, "d-")
	if !ok || len(ms) == 0 || len(ms) > 15 {
		return false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 {
		return false
	}
	t := time.UnixMilli(n)
	return t.Before(now.Add(10*time.Minute)) && t.After(now.Add(-2*r.interval-r.Overlap()))
}

// JWKS implements KeyRing: every key that verifies now (pending keys included), newest first.
func (r *StoreKeyRing) JWKS() ([]byte, error) {
	now, overlap := r.clock.Now(), r.Overlap()
	v := r.view.Load()
	set := jwkSet{Keys: []JWK{}}
	for i := len(v.keys) - 1; i >= 0; i-- {
		if k := v.keys[i]; k.verifies(now, overlap) {
			set.Keys = append(set.Keys, PublicJWK(k.vk))
		}
	}
	return json.Marshal(set)
}

// JWKSMaxAge implements JWKSMaxAger: the time until a key not yet in the JWKS could start
// signing (the next scheduled creation plus SigningDelay), at least 1 s and at most MaxJWKSAge.
func (r *StoreKeyRing) JWKSMaxAge() time.Duration {
	now := r.clock.Now()
	v := r.view.Load()
	next := now
	if n := len(v.keys); n > 0 && !v.keys[n-1].Revoked {
		if due := v.keys[n-1].CreatedAt.Add(r.interval); due.After(now) {
			next = due
		}
	}
	age := next.Add(r.delay).Sub(now)
	return min(max(age.Truncate(time.Second), time.Second), r.maxJWKSAge)
}

// Overlap is how long a key keeps verifying after it stopped signing.
func (r *StoreKeyRing) Overlap() time.Duration { return time.Duration(r.overlap.Load()) }
