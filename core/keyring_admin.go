package core

// Operator operations: emergency rotation, revocation of a leaked key, re-wrapping under a new
// KEK, and the listing of the keys for an admin page.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// RotateNow creates a new key at once, for an emergency or an algorithm change. It signs after
// SigningDelay (at once if no other key can sign); the current key keeps signing until then
// and verifies for Overlap after. It returns the new key's kid.
func (r *StoreKeyRing) RotateNow(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, err := r.store.ListKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	if err := r.checkKEKs(rows); err != nil {
		return "", err
	}
	keys := sortKeys(rows)
	now := r.clock.Now().UTC().Truncate(time.Millisecond)
	created := now
	signer := false
	for _, k := range keys {
		signer = signer || k.signs(now)
	}
	if n := len(keys); n > 0 && !created.After(keys[n-1].CreatedAt) {
		created = keys[n-1].CreatedAt.Add(time.Millisecond)
	}
	signAfter := immediate(created, now)
	if signer {
		signAfter = now.Add(r.delay)
	}
	kid := dynamicKid(created)
	if _, err := r.insert(ctx, kid, created, signAfter); err != nil {
		return "", err
	}
	return kid, r.loadLocked(ctx, true, false)
}

// ErrUnknownKey is returned by RevokeKey for a kid the store does not hold.
var ErrUnknownKey = errors.New("ratchet: no such signing key")

// RevokeKey revokes a key for good (it leaked): this instance refuses its tokens at once and
// flushes the verified-token cache of every engine bound to the ring; other instances do the
// same at their next reload (within ReloadInterval). The private key is erased. If the key
// was the newest, a replacement that signs at once is created. Users whose access token was
// signed by the key refresh once (try-refresh), nobody is signed out.
func (r *StoreKeyRing) RevokeKey(ctx context.Context, kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok, err := r.store.UpdateKey(ctx, kid, KeyUpdate{Revoke: true})
	if err != nil {
		return fmt.Errorf("ratchet: key ring: revoke %s: %w", kid, err)
	}
	if !ok {
		rows, err := r.store.ListKeys(ctx)
		if err != nil {
			return fmt.Errorf("ratchet: key ring: list keys: %w", err)
		}
		i := slices.IndexFunc(rows, func(k StoredKey) bool { return k.KID == kid })
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUnknownKey, kid)
		}
		if !rows[i].Revoked {
			return fmt.Errorf("ratchet: key ring: revoke %s: the store changed nothing", kid)
		}
	}
	// Refuse it here at once, even if the reload below fails.
	if v := r.view.Load(); v != nil {
		if k := v.byKID[kid]; k != nil && !k.Revoked {
			nv := &ringView{keys: make([]*ringKey, len(v.keys)), byKID: make(map[string]*ringKey, len(v.keys))}
			for i, rk := range v.keys {
				if rk.KID == kid {
					c := *rk
					c.Revoked, c.sk, c.PrivateKey = true, nil, nil
					rk = &c
				}
				nv.keys[i], nv.byKID[rk.KID] = rk, rk
			}
			r.view.Store(nv)
		}
	}
	delete(r.priv, kid)
	r.log.Warn("ratchet: signing key revoked; its tokens are refused from now on", "kid", kid)
	r.event(EventKeyRevoked, "kid="+kid)
	r.notifyRevoked()
	return r.loadLocked(ctx, true, false)
}

// RewrapKEK re-encrypts every live private key sealed under oldKEK with newKEKBytes (the new KEK), one
// conditional write per key, and from then on seals new keys under newKEK. Keys already under
// newKEK are skipped, so it can be run again after an interruption. It writes nothing if any
// live key is sealed under a third KEK or does not open. It returns how many keys it re-wrapped.
// Other instances need newKEK (with oldKEK in RATCHET_KEK_PREVIOUS until this has run): see
// docs/KEYS.md.
func (r *StoreKeyRing) RewrapKEK(ctx context.Context, oldKEK, newKEKBytes []byte) (int, error) {
	oldK, err := newKEK(oldKEK)
	if err != nil {
		return 0, fmt.Errorf("old KEK: %w", err)
	}
	newK, err := newKEK(newKEKBytes)
	if err != nil {
		return 0, fmt.Errorf("new KEK: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, err := r.store.ListKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	type job struct {
		row StoredKey
		pt  []byte
	}
	var jobs []job
	for _, k := range rows {
		if k.Revoked || len(k.PrivateKey) == 0 {
			continue
		}
		switch sealedKEKID(k.PrivateKey) {
		case newK.ID():
			continue
		case oldK.ID():
			pt, err := oldK.open(k.KID, k.Algorithm, k.PrivateKey)
			if err != nil {
				return 0, err
			}
			jobs = append(jobs, job{k, pt})
		default:
			return 0, fmt.Errorf("%w: %s is sealed under KEK %q, neither the old (%s) nor the new (%s); nothing was re-wrapped",
				ErrKEK, k.KID, sealedKEKID(k.PrivateKey), oldK.ID(), newK.ID())
		}
	}
	n := 0
	for _, j := range jobs {
		sealed := newK.seal(j.row.KID, j.row.Algorithm, j.pt)
		clear(j.pt)
		ok, err := r.store.UpdateKey(ctx, j.row.KID, KeyUpdate{IfPrivateKey: j.row.PrivateKey, PrivateKey: sealed})
		if err != nil {
			return n, fmt.Errorf("ratchet: key ring: re-wrap %s: %w", j.row.KID, err)
		}
		if ok {
			n++
		}
		// Not ok: revoked, erased or re-wrapped concurrently; the check below catches the rest.
	}
	// Seal new keys under newKEK; keep the old one for reading until the process restarts.
	keks := []*kek{newK}
	for _, k := range r.keks {
		if k.ID() != newK.ID() {
			keks = append(keks, k)
		}
	}
	if r.kekByID(oldK.ID()) == nil {
		keks = append(keks, oldK)
	}
	r.keks = keks
	if rows, err = r.store.ListKeys(ctx); err != nil {
		return n, fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	for _, k := range rows {
		if !k.Revoked && len(k.PrivateKey) > 0 && sealedKEKID(k.PrivateKey) == oldK.ID() {
			return n, fmt.Errorf("ratchet: key ring: %s is still sealed under the old KEK after re-wrapping (concurrent writer?); run RewrapKEK again", k.KID)
		}
	}
	r.log.Info("ratchet: signing keys re-wrapped under a new KEK", "rewrapped", n, "kek", newK.ID())
	r.event(EventKEKRewrapped, fmt.Sprintf("%d keys re-wrapped under KEK %s", n, newK.ID()))
	return n, r.loadLocked(ctx, true, false)
}

// KeyInfo describes one key of the ring, for operators and tests.
type KeyInfo struct {
	KID, Algorithm string
	CreatedAt      time.Time
	SignAfter      time.Time
	RetireAt       time.Time // when it stops signing; zero while it is the newest key
	VerifyUntil    time.Time // RetireAt + Overlap; zero while it is the newest key
	Revoked        bool
	Signing        bool // it is the signing key now
	Verifying      bool // its tokens verify now (and it is in the JWKS)
	HasPrivateKey  bool // this instance could sign with it
}

// Keys describes every key the ring knows, oldest first, as of the last (re)load.
func (r *StoreKeyRing) Keys() []KeyInfo {
	now, overlap := r.clock.Now(), r.Overlap()
	v := r.view.Load()
	out := make([]KeyInfo, len(v.keys))
	for i, k := range v.keys {
		out[i] = KeyInfo{
			KID: k.KID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, SignAfter: k.SignAfter,
			RetireAt: k.stop, VerifyUntil: k.verifyUntil(overlap), Revoked: k.Revoked,
			Signing: k.signs(now), Verifying: k.verifies(now, overlap), HasPrivateKey: k.sk != nil,
		}
	}
	return out
}

// NextRotation is when the ring will next create a key on its own: RotationInterval after
// the newest key. Zero when the ring holds no key.
func (r *StoreKeyRing) NextRotation() time.Time {
	v := r.view.Load()
	if len(v.keys) == 0 {
		return time.Time{}
	}
	return v.keys[len(v.keys)-1].CreatedAt.Add(r.interval)
}
