// Package memory is an in-process ratchet store. It gives the same conditional, atomic
// semantics a database does, so it is a faithful stand-in for tests and single-process
// development. Data is lost when the process exits.
package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Store keeps sessions in maps guarded by one mutex: every Update is atomic with its condition.
type Store struct {
	mu     sync.RWMutex
	byID   map[string]*core.Record
	byUser map[string]map[string]struct{}
	log    []revocation // revocation feed, oldest first
	seq    uint64
	keys   map[string]core.StoredKey // signing keys (keys.go)
	audit  auditLog                  // security events (audit.go), own lock
}

// revocation is one entry of the revocation feed.
type revocation struct {
	seq    uint64
	handle string
	at     time.Time
}

// maxLog bounds the revocation feed; older entries are dropped first.
const maxLog = 1 << 16

var (
	_ core.Store          = (*Store)(nil)
	_ core.ExpiredDeleter = (*Store)(nil)
	_ core.AllRevoker     = (*Store)(nil)
	_ core.RevocationFeed = (*Store)(nil)
	_ core.ProcessLocal   = (*Store)(nil)
	_ core.Rotator        = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{byID: map[string]*core.Record{}, byUser: map[string]map[string]struct{}{}}
}

// ProcessLocal implements core.ProcessLocal: the data lives in this process only, so an engine
// over the store may use per-process signing keys (core.New's default when Config.Keys is nil).
func (s *Store) ProcessLocal() bool { return true }

func clone(r *core.Record) *core.Record {
	c := *r
	c.Secret = slices.Clone(r.Secret)
	c.Data = slices.Clone(r.Data)
	c.Payload = slices.Clone(r.Payload)
	return &c
}

// Create implements core.Store.
func (s *Store) Create(ctx context.Context, rec *core.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.byID[rec.Handle]; dup {
		return fmt.Errorf("memory: duplicate handle %q", rec.Handle)
	}
	s.byID[rec.Handle] = clone(rec)
	u := s.byUser[rec.UserID]
	if u == nil {
		u = map[string]struct{}{}
		s.byUser[rec.UserID] = u
	}
	u[rec.Handle] = struct{}{}
	return nil
}

// Get implements core.Store.
func (s *Store) Get(ctx context.Context, handle string) (*core.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.byID[handle]
	if !ok {
		return nil, core.ErrNotFound
	}
	return clone(r), nil
}

// Update implements core.Store.
func (s *Store) Update(ctx context.Context, handle string, cond core.Cond, ch core.Change) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.byID[handle]
	if !ok || r.Revoked ||
		(!cond.LiveAt.IsZero() && !r.ExpiresAt.After(cond.LiveAt)) ||
		(cond.CurrentHash != "" && r.CurrentHash != cond.CurrentHash) ||
		(cond.Version != 0 && r.Version != cond.Version) {
		return false, nil
	}
	apply(r, ch)
	if ch.Revoke {
		s.logRevoked(handle)
	}
	return true, nil
}

// Rotate implements core.Rotator.
func (s *Store) Rotate(ctx context.Context, handle string, r core.Rotation) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.byID[handle]
	if !ok || rec.Revoked || !rec.ExpiresAt.After(r.At) || rec.CurrentHash != r.From || rec.Version != r.Version ||
		!strings.HasPrefix(rec.History, rec.PreviousHash) {
		return false, nil
	}
	history := r.Entry
	if rec.History != "" {
		history += "," + rec.History
	}
	rec.History = history[:min(len(history), r.HistoryMax)]
	rec.PreviousHash, rec.CurrentHash, rec.RotatedAt, rec.LastActiveAt, rec.ExpiresAt = r.From, r.To, r.At, r.At, r.ExpiresAt
	return true, nil
}

// logRevoked appends to the revocation feed; the caller holds s.mu.
func (s *Store) logRevoked(handle string) {
	s.seq++
	s.log = append(s.log, revocation{seq: s.seq, handle: handle, at: time.Now()})
	if len(s.log) > maxLog {
		s.log = slices.Clone(s.log[len(s.log)-maxLog/2:])
	}
}

// RevokedSince implements core.RevocationFeed. Cursors are sequence numbers.
func (s *Store) RevokedSince(ctx context.Context, cursor string, lookback time.Duration) ([]string, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	if cursor == "" {
		since := time.Now().Add(-lookback)
		for _, r := range s.log {
			if !r.at.Before(since) {
				out = append(out, r.handle)
			}
		}
	} else {
		after, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("memory: bad revocation cursor %q", cursor)
		}
		i, _ := slices.BinarySearchFunc(s.log, after+1, func(r revocation, seq uint64) int { return cmpUint(r.seq, seq) })
		for _, r := range s.log[i:] {
			out = append(out, r.handle)
		}
	}
	return out, strconv.FormatUint(s.seq, 10), nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// apply sets the columns named by ch, exactly as the SQL stores do.
func apply(r *core.Record, ch core.Change) {
	if ch.Revoke {
		r.Revoked = true
	}
	if ch.CurrentHash != "" {
		r.CurrentHash, r.PreviousHash, r.RotatedAt, r.History = ch.CurrentHash, ch.PreviousHash, ch.RotatedAt, ch.History
	}
	if !ch.ExpiresAt.IsZero() {
		r.ExpiresAt = ch.ExpiresAt
	}
	if !ch.LastActiveAt.IsZero() {
		r.LastActiveAt = ch.LastActiveAt
	}
	if ch.Data != nil {
		r.Data = slices.Clone(ch.Data)
	}
	if ch.Payload != nil {
		r.Payload = slices.Clone(ch.Payload)
	}
	if ch.Data != nil || ch.Payload != nil {
		r.Version++
	}
}

// ListByUser implements core.Store.
func (s *Store) ListByUser(ctx context.Context, userID string, now time.Time) ([]*core.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*core.Record
	for h := range s.byUser[userID] {
		if r := s.byID[h]; r.Live(now) {
			c := *r
			c.Secret, c.Data, c.Payload = nil, nil, nil // metadata only (core.Store)
			out = append(out, &c)
		}
	}
	slices.SortFunc(out, func(a, b *core.Record) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(a.Handle, b.Handle)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// RevokeByUser implements core.Store.
func (s *Store) RevokeByUser(ctx context.Context, userID, except string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for h := range s.byUser[userID] {
		if r := s.byID[h]; !r.Revoked && h != except {
			r.Revoked = true
			s.logRevoked(h)
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out, nil
}

// DeleteExpired implements core.ExpiredDeleter.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for h, r := range s.byID {
		if r.Revoked || !r.ExpiresAt.After(before) {
			delete(s.byID, h)
			if u := s.byUser[r.UserID]; u != nil {
				delete(u, h)
				if len(u) == 0 {
					delete(s.byUser, r.UserID)
				}
			}
			n++
		}
	}
	return n, nil
}

// Len returns the number of stored records, dead ones included.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.byID)
}

// RevokeAll implements core.AllRevoker.
func (s *Store) RevokeAll(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for h, r := range s.byID {
		if !r.Revoked {
			r.Revoked = true
			s.logRevoked(h)
			n++
		}
	}
	return n, nil
}

var _ core.LiveCounter = (*Store)(nil)

// CountLive implements core.LiveCounter.
func (s *Store) CountLive(ctx context.Context, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var n int64
	for _, r := range s.byID {
		if r.Live(now) {
			n++
		}
	}
	return n, nil
}
