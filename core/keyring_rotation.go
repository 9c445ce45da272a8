package core

// The rotation schedule: which key must be created when, under which deterministic kid (so
// that instances racing on it converge on one row), and the housekeeping writes that record
// retirements and erase private keys past their overlap.

import (
	"context"
	"crypto/x509"
	"fmt"
	"strconv"
	"time"
)

// maintain performs the writes the schedule calls for and reports whether it wrote.
func (r *StoreKeyRing) maintain(ctx context.Context, rows []StoredKey) (bool, error) {
	now := r.clock.Now()
	keys := sortKeys(rows)
	wrote := false
	if nk := r.due(keys, now); nk != nil {
		if _, err := r.insert(ctx, nk.kid, nk.created, nk.signAfter); err != nil {
			return false, err
		}
		wrote = true
		if rows, err := r.store.ListKeys(ctx); err != nil {
			return wrote, fmt.Errorf("ratchet: key ring: list keys: %w", err)
		} else {
			keys = sortKeys(rows)
		}
	}
	overlap := r.Overlap()
	for _, k := range keys {
		if k.Revoked {
			continue
		}
		// Record when a superseded key stops signing (visible to operators and other tools).
		if !k.stop.IsZero() && (k.RetireAt.IsZero() || k.stop.Before(k.RetireAt)) {
			if _, err := r.store.UpdateKey(ctx, k.KID, KeyUpdate{RetireBy: k.stop}); err != nil {
				return wrote, fmt.Errorf("ratchet: key ring: retire %s: %w", k.KID, err)
			}
			wrote = true
		}
		// A key past its overlap can never sign again: erase its private key.
		if len(k.PrivateKey) > 0 && !k.stop.IsZero() && !now.Before(k.stop.Add(overlap)) {
			if _, err := r.store.UpdateKey(ctx, k.KID, KeyUpdate{IfPrivateKey: k.PrivateKey, PrivateKey: []byte{}}); err != nil {
				return wrote, fmt.Errorf("ratchet: key ring: erase %s: %w", k.KID, err)
			}
			wrote = true
		}
	}
	return wrote, nil
}

type newKeyPlan struct {
	kid                string
	created, signAfter time.Time
}

// due decides whether a key must be created now. Its kid follows from the keys every instance
// sees, so instances that decide at the same moment race on the same kid and exactly one wins:
//   - no key at all: the rotation slot of now (Unix time divided into RotationInterval slots);
//   - no key can sign now, or the newest key is revoked: one millisecond after the newest
//     key, signing at once (waiting would leave nothing to sign with);
//   - the newest key is RotationInterval old: the latest slot after it, signing after
//     SigningDelay.
func (r *StoreKeyRing) due(keys []*ringKey, now time.Time) *newKeyPlan {
	now = now.UTC().Truncate(time.Millisecond)
	if len(keys) == 0 {
		// It signs from the start of its slot: an instance whose clock is a little behind the
		// inserter's must not find "no key can sign" and create another.
		slot := time.UnixMilli(now.UnixMilli() / r.interval.Milliseconds() * r.interval.Milliseconds())
		return &newKeyPlan{kid: dynamicKid(slot), created: slot, signAfter: slot}
	}
	newest := keys[len(keys)-1]
	signer := false
	for _, k := range keys {
		signer = signer || k.signs(now)
	}
	if !signer || newest.Revoked {
		c := newest.CreatedAt.Add(time.Millisecond)
		return &newKeyPlan{kid: dynamicKid(c), created: c, signAfter: immediate(c, now)}
	}
	if age := now.Sub(newest.CreatedAt); age >= r.interval {
		c := newest.CreatedAt.Add(age / r.interval * r.interval)
		return &newKeyPlan{kid: dynamicKid(c), created: c, signAfter: now.Add(r.delay)}
	}
	return nil
}

// immediateSkew is how far in the past a key that must sign at once starts signing, so that
// instances whose clocks are a little behind see it signing too (rather than no key at all).
// Its predecessor's tokens then verify for Overlap minus this, which stays above AccessTTL.
const immediateSkew = 5 * time.Second

// immediate is the SignAfter of a key that must sign at once: now, minus immediateSkew, but
// not before the key's creation.
func immediate(created, now time.Time) time.Time {
	if t := now.Add(-immediateSkew); t.After(created) {
		return t
	}
	return created
}

func dynamicKid(created time.Time) string { return "d-" + strconv.FormatInt(created.UnixMilli(), 10) }

// insert generates a key and inserts it under kid; false means another instance won the race.
func (r *StoreKeyRing) insert(ctx context.Context, kid string, created, signAfter time.Time) (bool, error) {
	sk, err := GenerateKey(r.alg)
	if err != nil {
		return false, err
	}
	pub, err := x509.MarshalPKIXPublicKey(sk.Private.Public())
	if err != nil {
		return false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(sk.Private)
	if err != nil {
		return false, err
	}
	row := StoredKey{
		KID: kid, Algorithm: r.alg, PublicKey: pub, PrivateKey: r.keks[0].seal(kid, r.alg, der),
		CreatedAt: created.UTC().Truncate(time.Millisecond), SignAfter: signAfter.UTC().Truncate(time.Millisecond),
	}
	clear(der)
	ok, err := r.store.InsertKey(ctx, row)
	if err != nil {
		return false, fmt.Errorf("ratchet: key ring: insert %s: %w", kid, err)
	}
	if ok {
		r.log.Info("ratchet: created signing key", "kid", kid, "alg", r.alg, "signs_from", row.SignAfter)
		r.event(EventKeyCreated, "kid="+kid+" alg="+r.alg)
	}
	return ok, nil
}
