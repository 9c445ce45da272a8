package core

// The ring's key-encryption keys: taking them from KeyRingOptions, refusing stored keys sealed
// under a KEK the ring was not given (before any write), and opening a sealed private key.
// Sealing itself is in kek.go.

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
)

// loadKEKs takes the KEKs from opts; the environment is never read (see KEKFromEnv). With no
// KEK, the error says whether the store already holds sealed keys.
func (r *StoreKeyRing) loadKEKs(ctx context.Context, opts KeyRingOptions) error {
	if len(opts.KEK) == 0 {
		msg := "no key-encryption key: set KeyRingOptions.KEK, for example from " + KEKEnv + " with core.KEKFromEnv " +
			"(the base64 of 32 random bytes: openssl rand -base64 32)"
		if rows, err := r.store.ListKeys(ctx); err == nil {
			if ids := sealedUnder(rows); len(ids) > 0 {
				msg += fmt.Sprintf("; the store holds signing keys sealed under KEK %s, which stay untouched", strings.Join(ids, ", "))
			}
		}
		return fmt.Errorf("%w: %s", ErrKEK, msg)
	}
	k, err := newKEK(opts.KEK)
	if err != nil {
		return fmt.Errorf("KeyRingOptions.KEK: %w", err)
	}
	r.keks = []*kek{k}
	for _, p := range opts.PreviousKEKs {
		pk, err := newKEK(p)
		if err != nil {
			return fmt.Errorf("previous KEK: %w", err)
		}
		r.keks = append(r.keks, pk)
	}
	return nil
}

// sealedUnder lists the KEK ids that the live sealed keys in rows name.
func sealedUnder(rows []StoredKey) []string {
	var ids []string
	for _, k := range rows {
		if !k.Revoked && len(k.PrivateKey) > 0 {
			if id := sealedKEKID(k.PrivateKey); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func (r *StoreKeyRing) kekByID(id string) *kek {
	for _, k := range r.keks {
		if k.ID() == id {
			return k
		}
	}
	return nil
}

// checkKEKs fails if a live sealed key names a KEK the ring does not have.
func (r *StoreKeyRing) checkKEKs(rows []StoredKey) error {
	var bad []string
	for _, k := range rows {
		if k.Revoked || len(k.PrivateKey) == 0 {
			continue
		}
		id := sealedKEKID(k.PrivateKey)
		if id == "" {
			return fmt.Errorf("%w: the private key of %s is not sealed (not written by ratchet?); leaving it untouched", ErrKEK, k.KID)
		}
		if r.kekByID(id) == nil {
			bad = append(bad, k.KID+" (KEK "+id+")")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	ids := make([]string, len(r.keks))
	for i, k := range r.keks {
		ids[i] = k.ID()
	}
	return fmt.Errorf("%w: wrong key-encryption key: signing keys %s are sealed under a KEK this instance was not given (it has %s); "+
		"the keys were left untouched; give it the KEK they were created with in KeyRingOptions.KEK (%s, read by core.KEKFromEnv), "+
		"or in KeyRingOptions.PreviousKEKs (%s) while re-wrapping",
		ErrKEK, strings.Join(bad, ", "), strings.Join(ids, ", "), KEKEnv, PreviousKEKsEnv)
}

// open decrypts a stored private key and checks it against the stored public key.
func (r *StoreKeyRing) open(k StoredKey, vk *VerificationKey) (*SigningKey, error) {
	kk := r.kekByID(sealedKEKID(k.PrivateKey))
	if kk == nil {
		return nil, fmt.Errorf("%w: %s is sealed under KEK %q, which this instance was not given", ErrKEK, k.KID, sealedKEKID(k.PrivateKey))
	}
	der, err := kk.open(k.KID, k.Algorithm, k.PrivateKey)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("ratchet: key ring: private key of %s: %w", k.KID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("ratchet: key ring: private key of %s is a %T", k.KID, parsed)
	}
	sk := &SigningKey{ID: k.KID, Algorithm: k.Algorithm, Private: signer}
	if err := checkKey(sk); err != nil {
		return nil, fmt.Errorf("ratchet: key ring: %w", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pe, ok := signer.Public().(equaler); !ok || !pe.Equal(vk.Public) {
		return nil, fmt.Errorf("ratchet: key ring: the private key of %s does not match its public key", k.KID)
	}
	return sk, nil
}
