package core

import (
	"context"
	"time"
)

// KeyStore is the optional Store capability that persists the shared signing-key ring (see
// NewStoreKeyRing and docs/KEYS.md). Every instance of an app reads the same rows, so every
// instance signs with the same key and accepts the same keys.
//
// Every write is conditional, and implementations must apply a write and its condition
// atomically (one statement, or the equivalent under a lock). There is no unconditional
// overwrite and no delete: a key row, once inserted, only ever moves forward (retired earlier,
// re-wrapped, revoked). This is what lets several instances start or rotate at the same moment
// and still converge on one current key: they race on InsertKey with the same deterministic
// kid, exactly one insert wins, and the losers re-read.
//
// The store never interprets PrivateKey: it is an opaque sealed blob (AES-256-GCM under the
// key-encryption key, see KEK), stored and compared byte for byte.
type KeyStore interface {
	// ListKeys returns every key row, revoked and retired ones included, in any order. The
	// returned values are the caller's: mutating them never changes what the store holds.
	ListKeys(ctx context.Context) ([]StoredKey, error)
	// InsertKey inserts k if no row has k.KID and reports whether it did. An existing row
	// with the same kid is left untouched and reported as (false, nil), whatever its
	// contents: the caller re-reads. Errors are reserved for failures.
	InsertKey(ctx context.Context, k StoredKey) (inserted bool, err error)
	// UpdateKey applies u to the row kid if the row exists, is not revoked and satisfies u's
	// conditions, and reports whether it changed the row. A missing kid is (false, nil). An
	// update without a change (no Revoke, RetireBy or PrivateKey) is an error.
	UpdateKey(ctx context.Context, kid string, u KeyUpdate) (bool, error)
}

// StoredKey is one row of the key ring.
type StoredKey struct {
	KID       string // "d-<CreatedAt in Unix ms>"; the primary key
	Algorithm string // AlgEdDSA, AlgES256 or AlgRS256
	PublicKey []byte // PKIX (SubjectPublicKeyInfo) DER
	// PrivateKey is the sealed PKCS #8 private key (see KEK.Seal); it names the KEK it was
	// sealed under. Empty once erased (revoked, or retired long enough that it can never sign
	// again).
	PrivateKey []byte
	CreatedAt  time.Time // the key's slot in the rotation schedule
	// SignAfter is when the key may start signing: CreatedAt plus the signing delay, so every
	// instance and every JWKS cache can learn it first. It is published in JWKS at once.
	SignAfter time.Time
	// RetireAt is when the key stopped (or stops) signing because a newer key took over; zero
	// while no newer key exists. The key still verifies for the ring's overlap after it.
	RetireAt time.Time
	Revoked  bool // terminal: the key neither signs nor verifies
}

// KeyUpdate is a conditional change to one key row. Every update also requires the row to be
// unrevoked. Zero fields are neither conditions nor changes.
type KeyUpdate struct {
	// IfPrivateKey, when non-nil, requires the stored PrivateKey to equal it byte for byte
	// (compare-and-swap for re-wrapping and erasing).
	IfPrivateKey []byte
	// Revoke sets Revoked and erases PrivateKey.
	Revoke bool
	// RetireBy moves RetireAt earlier: the update applies only if the stored RetireAt is zero
	// or later than RetireBy. (A store may keep "zero" as a far-future sentinel.)
	RetireBy time.Time
	// PrivateKey, when non-nil, replaces the sealed private key; an empty, non-nil slice
	// erases it. It requires IfPrivateKey, and must differ from it.
	PrivateKey []byte
}
