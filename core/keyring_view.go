package core

// The view: an immutable snapshot of the key rows, built at each (re)load and swapped in
// atomically, so that signing and verifying read it without locks. It decides which key signs
// and which keys verify at a given time.

import (
	"cmp"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ringKey is a key row as the ring sees it.
type ringKey struct {
	StoredKey
	vk *VerificationKey
	sk *SigningKey // nil when this instance has no private key for it
	// stop is when the key stops signing: the earliest SignAfter of any newer key, or the
	// stored RetireAt if earlier; zero while no newer key exists.
	stop  time.Time
	skErr error // why sk is nil although the key could sign
}

// ringView is an immutable snapshot of the ring; readers load it without locks.
type ringView struct {
	keys  []*ringKey // CreatedAt ascending, ties by kid
	byKID map[string]*ringKey
}

// sortKeys orders rows by CreatedAt, then kid, and computes every key's stop time.
func sortKeys(rows []StoredKey) []*ringKey {
	keys := make([]*ringKey, len(rows))
	for i := range rows {
		keys[i] = &ringKey{StoredKey: rows[i]}
	}
	slices.SortFunc(keys, func(a, b *ringKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.KID, b.KID))
	})
	var next time.Time // earliest SignAfter of the keys after i
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		k.stop = next
		if !k.RetireAt.IsZero() && (k.stop.IsZero() || k.RetireAt.Before(k.stop)) {
			k.stop = k.RetireAt
		}
		if next.IsZero() || k.SignAfter.Before(next) {
			next = k.SignAfter
		}
	}
	return keys
}

// signs reports whether k is the signing key at now: unrevoked, past its SignAfter and not
// yet stopped. At most one key qualifies, because a key stops when a newer one starts.
func (k *ringKey) signs(now time.Time) bool {
	return !k.Revoked && !now.Before(k.SignAfter) && (k.stop.IsZero() || now.Before(k.stop))
}

// verifyUntil is when k stops verifying (zero: not scheduled yet).
func (k *ringKey) verifyUntil(overlap time.Duration) time.Time {
	if k.stop.IsZero() {
		return time.Time{}
	}
	return k.stop.Add(overlap)
}

func (k *ringKey) verifies(now time.Time, overlap time.Duration) bool {
	if k.Revoked {
		return false
	}
	u := k.verifyUntil(overlap)
	return u.IsZero() || now.Before(u)
}

func (v *ringView) signingAt(now time.Time) (*SigningKey, error) {
	for i := len(v.keys) - 1; i >= 0; i-- {
		k := v.keys[i]
		if !k.signs(now) {
			continue
		}
		if k.sk == nil {
			return nil, fmt.Errorf("ratchet: key ring: the current signing key %s is unusable on this instance: %w", k.KID, k.skErr)
		}
		return k.sk, nil
	}
	return nil, errors.New("ratchet: key ring: no key can sign now (waiting for the next reload to create one)")
}

// build turns rows into a view, parsing public keys and opening the private keys of keys that
// may still sign. Parsed keys are cached by kid: a kid never changes its key material.
func (r *StoreKeyRing) build(rows []StoredKey) (*ringView, error) {
	now := r.clock.Now()
	v := &ringView{keys: sortKeys(rows), byKID: make(map[string]*ringKey, len(rows))}
	for _, k := range v.keys {
		v.byKID[k.KID] = k
		vk := r.pub[k.KID]
		if vk == nil {
			pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("ratchet: key ring: public key of %s: %w", k.KID, err)
			}
			vk = &VerificationKey{ID: k.KID, Algorithm: k.Algorithm, Public: pub}
			r.pub[k.KID] = vk
		}
		k.vk = vk
		if k.Revoked || (!k.stop.IsZero() && !now.Before(k.stop)) {
			delete(r.priv, k.KID) // it never signs again
			continue
		}
		if signer := r.priv[k.KID]; signer != nil {
			k.sk = &SigningKey{ID: k.KID, Algorithm: k.Algorithm, Private: signer}
			continue
		}
		if len(k.PrivateKey) == 0 {
			k.skErr = errors.New("its private key was erased")
			continue
		}
		sk, err := r.open(k.StoredKey, vk)
		if err != nil {
			k.skErr = err
			continue
		}
		r.priv[k.KID] = sk.Private
		k.sk = sk
	}
	return v, nil
}
