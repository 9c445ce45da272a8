package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

var _ core.AuditLog = (*Store)(nil)

// MaxAuditEvents bounds the events the store keeps: past it, the oldest quarter is dropped.
const MaxAuditEvents = 1 << 18

var maxAuditEvents = MaxAuditEvents // tests lower it

// auditLog holds the events in ID order, oldest first, with per-user and per-session indexes
// (positions are not stable, so the indexes hold IDs, each list in ID order too).
type auditLog struct {
	mu       sync.RWMutex
	events   []core.AuditEvent
	byUser   map[string][]string
	byHandle map[string][]string
}

func cmpEventID(e core.AuditEvent, id string) int { return strings.Compare(e.ID, id) }

// AppendEvents implements core.AuditLog: all or none; a duplicate ID is an error.
func (s *Store) AppendEvents(ctx context.Context, events []core.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := make(map[string]bool, len(events))
	for _, ev := range events {
		if ev.ID == "" {
			return fmt.Errorf("memory: audit event without an ID")
		}
		if _, dup := slices.BinarySearchFunc(a.events, ev.ID, cmpEventID); dup || seen[ev.ID] {
			return fmt.Errorf("memory: duplicate audit event ID %q", ev.ID)
		}
		seen[ev.ID] = true
	}
	if a.byUser == nil {
		a.byUser, a.byHandle = map[string][]string{}, map[string][]string{}
	}
	for _, ev := range events {
		i, _ := slices.BinarySearchFunc(a.events, ev.ID, cmpEventID)
		a.events = slices.Insert(a.events, i, ev)
		if ev.UserID != "" {
			a.byUser[ev.UserID] = insertSorted(a.byUser[ev.UserID], ev.ID)
		}
		if ev.Handle != "" {
			a.byHandle[ev.Handle] = insertSorted(a.byHandle[ev.Handle], ev.ID)
		}
	}
	if len(a.events) > maxAuditEvents {
		// Trim to three quarters, so that the indexes are rebuilt once per MaxAuditEvents/4
		// events at most rather than on every append.
		n := len(a.events) - maxAuditEvents*3/4
		a.deleteWhere(func(ev core.AuditEvent) bool {
			if n > 0 {
				n--
				return true
			}
			return false
		})
	}
	return nil
}

func insertSorted(ids []string, id string) []string {
	i, _ := slices.BinarySearch(ids, id)
	return slices.Insert(ids, i, id)
}

// ListEvents implements core.AuditLog. The cursor is the last ID returned.
func (s *Store) ListEvents(ctx context.Context, q core.AuditQuery) ([]core.AuditEvent, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	a := &s.audit
	a.mu.RLock()
	defer a.mu.RUnlock()
	limit := q.EffectiveLimit()
	match := func(ev *core.AuditEvent) bool {
		return (q.UserID == "" || ev.UserID == q.UserID) && (q.Handle == "" || ev.Handle == q.Handle) &&
			(len(q.Types) == 0 || slices.Contains(q.Types, ev.Type)) &&
			(q.Since.IsZero() || !ev.Time.Before(q.Since)) && (q.Until.IsZero() || ev.Time.Before(q.Until))
	}
	var out []core.AuditEvent
	take := func(ev *core.AuditEvent) bool { // false when the page is full
		if !match(ev) {
			return true
		}
		out = append(out, *ev)
		return len(out) <= limit
	}
	// ids is the index to walk: one user's or session's events, or nil for all.
	var ids []string
	indexed := false
	if q.UserID != "" {
		ids, indexed = a.byUser[q.UserID], true
	}
	if q.Handle != "" && (!indexed || len(a.byHandle[q.Handle]) < len(ids)) {
		ids, indexed = a.byHandle[q.Handle], true
	}
	if indexed {
		end := len(ids)
		if q.Cursor != "" {
			end, _ = slices.BinarySearch(ids, q.Cursor)
		}
		for i := end - 1; i >= 0; i-- {
			j, _ := slices.BinarySearchFunc(a.events, ids[i], cmpEventID)
			if !take(&a.events[j]) {
				break
			}
		}
	} else {
		end := len(a.events)
		if q.Cursor != "" {
			end, _ = slices.BinarySearchFunc(a.events, q.Cursor, cmpEventID)
		}
		for i := end - 1; i >= 0; i-- {
			if !take(&a.events[i]) {
				break
			}
		}
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// DeleteEventsBefore implements core.AuditLog.
func (s *Store) DeleteEventsBefore(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.deleteWhere(func(ev core.AuditEvent) bool { return ev.Time.Before(before) }), nil
}

// deleteWhere removes the events del selects (called in ID order) and rebuilds the indexes;
// the caller holds a.mu.
func (a *auditLog) deleteWhere(del func(core.AuditEvent) bool) int64 {
	var n int64
	gone := map[string]bool{}
	a.events = slices.DeleteFunc(a.events, func(ev core.AuditEvent) bool {
		if del(ev) {
			n++
			gone[ev.ID] = true
			return true
		}
		return false
	})
	if n == 0 {
		return 0
	}
	for _, idx := range []map[string][]string{a.byUser, a.byHandle} {
		for k, ids := range idx {
			ids = slices.DeleteFunc(ids, func(id string) bool { return gone[id] })
			if len(ids) == 0 {
				delete(idx, k)
			} else {
				idx[k] = ids
			}
		}
	}
	return n
}

var _ core.EventCounter = (*Store)(nil)

// CountEvents implements core.EventCounter. Events are held in ID order, which is time order,
// so the range is found by binary search and only its events are read.
func (s *Store) CountEvents(ctx context.Context, since, until time.Time) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a := &s.audit
	a.mu.RLock()
	defer a.mu.RUnlock()
	byTime := func(ev core.AuditEvent, t time.Time) int { return ev.Time.Compare(t) }
	lo, _ := slices.BinarySearchFunc(a.events, since, byTime)
	hi, _ := slices.BinarySearchFunc(a.events, until, byTime)
	out := map[string]int64{}
	for _, ev := range a.events[lo:max(lo, hi)] {
		out[ev.Type]++
	}
	return out, nil
}
