package core

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Store when no session has the requested handle.
var ErrNotFound = errors.New("ratchet: session not found")

// Record is one session row. Stores persist every field verbatim; the engine owns their meaning
// (see docs/ROTATION.md).
type Record struct {
	Handle       string    // primary key, public session id
	UserID       string    // indexed
	Secret       []byte    // per-session derivation and tag key; never leaves the server
	CurrentHash  string    // H2 of the newest refresh token
	PreviousHash string    // H2 of its parent, "" before the first rotation
	RotatedAt    time.Time // when CurrentHash last moved forward
	// History lists older superseded tokens and when each was superseded, in the engine's
	// own encoding (ASCII, at most 737 bytes); stores persist it verbatim, and Rotator
	// implementations apply its rule for a rotation.
	History      string
	CreatedAt    time.Time // sign-in time, start of the absolute lifetime
	ExpiresAt    time.Time // idle expiry, clamped to the absolute lifetime
	LastActiveAt time.Time // last refresh
	Revoked      bool      // terminal once true
	// IdleTimeout and AbsoluteExpiresAt are this session's lifetimes, chosen at sign-in
	// (Config.LifetimePolicy). Zero values mean the engine's configured defaults.
	IdleTimeout       time.Duration
	AbsoluteExpiresAt time.Time
	Version           int64  // bumped by every Data or Payload write; starts at 1
	Data              []byte // JSON object, server-side only
	Payload           []byte // JSON object, custom access-token claims
	IP                string
	UserAgent         string
}

// Live reports whether the record can still be used at now.
func (r *Record) Live(now time.Time) bool { return !r.Revoked && now.Before(r.ExpiresAt) }

// Cond is the predicate of a conditional update. Every update also requires the row to be
// unrevoked; the zero Cond therefore matches any unrevoked row.
type Cond struct {
	// LiveAt, when non-zero, additionally requires ExpiresAt > LiveAt.
	LiveAt time.Time
	// CurrentHash, when non-empty, requires the row's CurrentHash to equal it.
	CurrentHash string
	// Version, when non-zero, requires the row's Version to equal it.
	Version int64
}

// Change lists the columns an update sets. Zero fields are left unchanged.
type Change struct {
	Revoke       bool      // set Revoked = true
	CurrentHash  string    // with PreviousHash, RotatedAt and History: a rotation
	PreviousHash string    //
	RotatedAt    time.Time //
	History      string    // set together with CurrentHash, even when empty
	ExpiresAt    time.Time
	LastActiveAt time.Time
	Data         []byte // non-nil: replace Data and bump Version
	Payload      []byte // non-nil: replace Payload and bump Version
}

// Store persists sessions. Every method must be safe for concurrent use, and Update must be a
// single atomic conditional write: the condition and the change are applied together or not at
// all, as `UPDATE … WHERE handle = ? AND revoked = false AND <cond>` followed by a check of the
// rows affected. Implementations must never upsert or read-modify-write on an update path.
//
// Optional capabilities are discovered by type assertion: ExpiredDeleter, AllRevoker,
// RevocationFeed, KeyStore, PoolSizer, ProcessLocal, AuditLog and Rotator.
type Store interface {
	// Create inserts a new record. A duplicate handle is an error.
	Create(ctx context.Context, rec *Record) error
	// Get returns the record for handle, revoked or expired ones included, or ErrNotFound.
	Get(ctx context.Context, handle string) (*Record, error)
	// Update applies ch to the record if it exists, is unrevoked and satisfies cond. It reports
	// whether a row was changed; a missing handle is (false, nil).
	Update(ctx context.Context, handle string, cond Cond, ch Change) (bool, error)
	// ListByUser returns the user's records that are live at now, newest first, without a scan
	// of other users' sessions. The records carry metadata only: Secret, Data and Payload are
	// left nil and never read, so listing costs the same however much the sessions store.
	ListByUser(ctx context.Context, userID string, now time.Time) ([]*Record, error)
	// RevokeByUser revokes every unrevoked record of the user except the one whose handle is
	// except (which may be empty) and returns the revoked handles.
	RevokeByUser(ctx context.Context, userID, except string) ([]string, error)
}

// Rotator is implemented by stores that can write a whole rotation (case (a) of
// docs/ROTATION.md) as one statement, without reading the row first. The engine uses it when it
// already knows the session's immutable parts (secret, user, lifetimes), so that a refresh
// costs one round trip; when Rotate reports false it reads the row and decides as a store
// without Rotator would. The history arithmetic below is the engine's encoding, which the store
// applies blindly (docs/ROTATION.md, "One round trip").
type Rotator interface {
	// Rotate applies r in one atomic conditional write. The row must exist, be unrevoked, have
	// ExpiresAt > r.At, CurrentHash == r.From and Version == r.Version, and its History must
	// begin with its PreviousHash (both may be empty; rows written before the engine put the
	// previous token into History fail this and are rotated the two-statement way). Then it
	// sets:
	//
	//	History      = r.Entry when History is empty, else the first r.HistoryMax bytes of
	//	               r.Entry + "," + History
	//	PreviousHash = r.From
	//	CurrentHash  = r.To
	//	RotatedAt    = r.At
	//	LastActiveAt = r.At
	//	ExpiresAt    = r.ExpiresAt
	//
	// and nothing else (Version is unchanged). It reports whether a row was changed; a missing
	// handle is (false, nil).
	Rotate(ctx context.Context, handle string, r Rotation) (bool, error)
}

// Rotation is the write of one rotation (Rotator).
type Rotation struct {
	From, To   string    // H2 of the presented (current) token, and of its child
	At         time.Time // the time of the write: liveness, RotatedAt and LastActiveAt
	ExpiresAt  time.Time // the new idle expiry, already clamped to the absolute lifetime
	Version    int64     // the Version the row must still have
	Entry      string    // the history entry for From superseded at At
	HistoryMax int       // the longest History may become, in bytes
}

// ExpiredDeleter is implemented by stores that can purge dead rows.
type ExpiredDeleter interface {
	// DeleteExpired deletes records that are revoked or whose ExpiresAt is at or before before,
	// and returns how many were deleted. A store that implements RevocationFeed may keep
	// recently revoked rows until other engines have had time to read them from the feed.
	DeleteExpired(ctx context.Context, before time.Time) (int64, error)
}

// AllRevoker is implemented by stores that can revoke every session at once (incident
// response: a leaked signing key, a compromised database).
type AllRevoker interface {
	// RevokeAll revokes every unrevoked record and returns how many it revoked.
	RevokeAll(ctx context.Context) (int64, error)
}

// ProcessLocal is implemented by stores whose data lives in this process only (stores/memory):
// no other process can reach it, so no other instance can share the sessions or the signing
// keys it holds. New reads it when Config.Keys is nil: a per-process in-memory key ring is
// correct over a process-local store, but over a KeyStore that other instances share it would
// make each instance refuse the others' tokens, so New refuses that instead (see Config.Keys).
type ProcessLocal interface {
	// ProcessLocal reports whether the store's data lives in this process only. A store that
	// wraps another reports what the wrapped one does.
	ProcessLocal() bool
}

// LiveCounter is implemented by stores that can count live sessions (the admin API's counts).
// It is optional; without it the admin counts leave the number out.
type LiveCounter interface {
	// CountLive returns how many records are unrevoked with ExpiresAt after now.
	CountLive(ctx context.Context, now time.Time) (int64, error)
}
