package core

// What a key ring and the engines built on it tell each other: the engine's token lifetimes
// (checked against the overlap), the cache flush on revocation, key-lifecycle events and the
// JWKS max-age.

import (
	"fmt"
	"slices"
	"time"
)

// KeyRingBinder is implemented by key rings that need to know the engines built on them:
// core.New calls BindEngine once per engine. The ring checks its overlap against the engine's
// token lifetime and calls FlushVerifyCache when it revokes a key.
type KeyRingBinder interface {
	BindEngine(EngineBinding) error
}

// EngineBinding is what an engine tells a KeyRingBinder about itself.
type EngineBinding struct {
	AccessTTL, ClockSkew time.Duration
	// FlushVerifyCache forgets every cached verification (Engine.FlushVerifyCache).
	FlushVerifyCache func()
	// Emit reports a key-lifecycle security event through the engine (logs and
	// Config.OnSecurityEvent).
	Emit func(SecurityEvent)
}

// JWKSMaxAger is implemented by key rings that know how long a copy of their JWKS stays
// correct; the JWKS route sends it as Cache-Control max-age. Without it the route sends 300 s.
type JWKSMaxAger interface {
	JWKSMaxAge() time.Duration
}

// BindEngine implements KeyRingBinder: it checks that Overlap is at least twice the engine's
// AccessTTL plus its clock skew (raising a defaulted Overlap to that), and flushes the
// engine's verified-token cache whenever a key is revoked.
func (r *StoreKeyRing) BindEngine(b EngineBinding) error {
	need := 2*b.AccessTTL + b.ClockSkew
	for {
		cur := r.overlap.Load()
		if time.Duration(cur) >= need {
			break
		}
		if !r.overlapAuto {
			return fmt.Errorf("KeyRingOptions.Overlap %v must be at least twice AccessTTL plus ClockSkew (%v)", time.Duration(cur), need)
		}
		if r.overlap.CompareAndSwap(cur, int64(need)) {
			break
		}
	}
	r.cbmu.Lock()
	if b.FlushVerifyCache != nil {
		r.onRevoke = append(r.onRevoke, b.FlushVerifyCache)
	}
	if b.Emit != nil {
		r.emitters = append(r.emitters, b.Emit)
	}
	r.cbmu.Unlock()
	return nil
}

// event reports a key-lifecycle event to every bound engine. Key ids are public.
func (r *StoreKeyRing) event(typ, reason string) {
	r.cbmu.Lock()
	fns := slices.Clone(r.emitters)
	r.cbmu.Unlock()
	for _, f := range fns {
		f(SecurityEvent{Type: typ, Time: r.clock.Now(), Reason: reason})
	}
}

func (r *StoreKeyRing) notifyRevoked() {
	r.cbmu.Lock()
	fns := slices.Clone(r.onRevoke)
	r.cbmu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
