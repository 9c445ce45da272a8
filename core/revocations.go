package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// RevocationFeed is implemented by stores that can list recent revocations cheaply (through
// an index on the revocation time). Engines poll it, so a session revoked on one instance is
// refused by every instance within Config.RevocationPollInterval, without a store read per
// request.
type RevocationFeed interface {
	// RevokedSince returns the handles revoked after the position cursor, and the cursor to
	// pass next time. An empty cursor means "start": return what was revoked within lookback.
	// A handle may be returned more than once. Cursors are opaque to the engine.
	RevokedSince(ctx context.Context, cursor string, lookback time.Duration) (handles []string, next string, err error)
}

// DefaultRevocationPollInterval bounds how long another instance keeps accepting the access
// tokens of a revoked session.
const DefaultRevocationPollInterval = 2 * time.Second

// revocations is the set of recently revoked handles whose access tokens may still be
// unexpired. Reads are lock-free (sync.Map, read-mostly), and when nothing was revoked recently
// the hot path is a single atomic load.
type revocations struct {
	set    sync.Map // handle → time.Time to forget it
	n      atomic.Int64
	mu     sync.Mutex // serialises pruning
	pruned time.Time
	cursor string
	stop   chan struct{}
	done   chan struct{}
}

func (r *revocations) has(handle string) bool {
	if r.n.Load() == 0 {
		return false
	}
	_, ok := r.set.Load(handle)
	return ok
}

// add records handles and, at most once a second, forgets entries whose access tokens have all
// expired.
func (r *revocations) add(now time.Time, keep time.Duration, handles ...string) {
	for _, h := range handles {
		if _, loaded := r.set.Swap(h, now.Add(keep)); !loaded {
			r.n.Add(1)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if now.Sub(r.pruned) < time.Second {
		return
	}
	r.pruned = now
	r.set.Range(func(k, v any) bool {
		if !now.Before(v.(time.Time)) && r.set.CompareAndDelete(k, v) {
			r.n.Add(-1)
		}
		return true
	})
}

// keepRevoked is how long a revoked handle must be remembered: as long as any access token of
// the session can still verify.
func (e *Engine) keepRevoked() time.Duration { return e.cfg.AccessTTL + e.cfg.ClockSkew + time.Second }

// noteRevoked makes this instance refuse the handles at once.
func (e *Engine) noteRevoked(handles ...string) {
	if len(handles) > 0 {
		e.revoked.add(e.cfg.Clock.Now(), e.keepRevoked(), handles...)
	}
	for _, h := range handles {
		e.facts.forget(h)
	}
}

// pollRevocations reads the store's revocation feed once. The background poller calls it
// every RevocationPollInterval, and a change notification at once. Without a RevocationFeed
// store it does nothing.
func (e *Engine) pollRevocations(ctx context.Context) error {
	feed, ok := e.cfg.Store.(RevocationFeed)
	if !ok {
		return nil
	}
	e.pollMu.Lock()
	defer e.pollMu.Unlock()
	ctx, end := e.startOp(ctx, OpStoreFeed)
	handles, next, err := feed.RevokedSince(ctx, e.revoked.cursor, e.keepRevoked())
	end(err)
	if err != nil {
		e.feed.failures.Add(1)
		return storeErr("revocation feed", err)
	}
	e.feed.lastPoll.Store(e.cfg.Clock.Now().UnixNano())
	e.revoked.cursor = next
	e.noteRevoked(handles...)
	return nil
}

// startPoller runs pollRevocations every interval until Close.
func (e *Engine) startPoller(interval time.Duration) {
	e.revoked.stop, e.revoked.done = make(chan struct{}), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(e.revoked.done)
		defer cancel()
		t := time.NewTicker(interval)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-e.revoked.stop:
				return
			case <-t.C:
				err := e.pollRevocations(ctx)
				if err != nil && !failing {
					e.log.Warn("ratchet: revocation feed unavailable; other instances' revocations are delayed until it recovers (CheckDatabase routes are unaffected)", "err", err)
				}
				failing = err != nil
			}
		}
	}()
}

// Close stops the engine's background work (the revocation poller, the change listener and
// the audit log writer, after writing the events still queued). It is safe to call more
// than once. The Store is not closed: it belongs to the caller.
func (e *Engine) Close() error {
	e.closeOnce.Do(func() {
		if e.listenCancel != nil {
			e.listenCancel()
			<-e.listenDone
		}
		if e.revoked.stop != nil {
			close(e.revoked.stop)
			<-e.revoked.done
		}
		if e.auditW != nil {
			e.auditW.close() // last: writes what the steps above emitted
		}
	})
	return nil
}
