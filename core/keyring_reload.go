package core

// Re-reading the store: the reload every path goes through (start-up, the background loop,
// an unknown kid, the admin operations), and the swap that flushes the engines' caches when a
// key they accepted is revoked.

import (
	"context"
	"fmt"
	"time"
)

// Reload re-reads the store: it learns new and revoked keys, creates the next key when the
// schedule says so (or at once when no key can sign), records when superseded keys stop
// signing, and erases the private keys of keys past their overlap. The background loop calls
// it every ReloadInterval; tests and jobs may call it directly.
func (r *StoreKeyRing) Reload(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loadLocked(ctx, true, false)
}

// loadLocked lists the keys, optionally maintains them, and swaps in a new view. At startup
// (strict) a KEK problem is an error before any write; later it only stops the writes, so
// verification keeps working with whatever this instance can read.
func (r *StoreKeyRing) loadLocked(ctx context.Context, maintain, strict bool) error {
	rows, err := r.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	kekErr := r.checkKEKs(rows)
	if kekErr != nil && strict {
		return kekErr
	}
	if maintain && kekErr == nil {
		wrote, err := r.maintain(ctx, rows)
		if err != nil {
			return err
		}
		if wrote {
			if rows, err = r.store.ListKeys(ctx); err != nil {
				return fmt.Errorf("ratchet: key ring: list keys: %w", err)
			}
		}
	}
	v, err := r.build(rows)
	if err != nil {
		return err
	}
	if strict {
		if _, err := v.signingAt(r.clock.Now()); err != nil {
			return err
		}
	}
	r.swap(v)
	return kekErr
}

// swap installs v and notifies the engines if it revokes a key the previous view accepted.
func (r *StoreKeyRing) swap(v *ringView) {
	old := r.view.Swap(v)
	if old == nil {
		return
	}
	for _, k := range v.keys {
		if was := old.byKID[k.KID]; k.Revoked && was != nil && !was.Revoked {
			r.log.Warn("ratchet: signing key revoked; its tokens are refused from now on", "kid", k.KID)
			r.notifyRevoked()
			return
		}
	}
}

// reloadForKid re-reads the store for an unknown kid, rate-limited; concurrent callers share
// one read. It reports whether a read completed.
func (r *StoreKeyRing) reloadForKid(kid string, now time.Time) bool {
	if r.unknownLimit < 0 || !r.plausibleKid(kid, now) {
		return false
	}
	r.umu.Lock()
	if wait := r.inflight; wait != nil {
		r.umu.Unlock()
		<-wait
		return true
	}
	if !r.lastUnknown.IsZero() && now.Sub(r.lastUnknown) < r.unknownLimit && !now.Before(r.lastUnknown) {
		r.umu.Unlock()
		return false
	}
	r.lastUnknown = now
	done := make(chan struct{})
	r.inflight = done
	r.umu.Unlock()
	defer func() {
		r.umu.Lock()
		r.inflight = nil
		r.umu.Unlock()
		close(done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.mu.Lock()
	err := r.loadLocked(ctx, false, false)
	r.mu.Unlock()
	if err != nil {
		r.log.Warn("ratchet: key ring reload for an unknown kid failed", "kid", kid, "err", err)
	}
	return true
}

// startReloader runs Reload every ReloadInterval until Close.
func (r *StoreKeyRing) startReloader() {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(r.done)
		t := time.NewTicker(r.reloadEvery)
		defer t.Stop()
		failing := false
		for {
			select {
			case <-r.stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), max(r.reloadEvery, 10*time.Second))
				err := r.Reload(ctx)
				cancel()
				if err != nil && !failing {
					r.log.Error("ratchet: key ring reload failed; signing and verifying go on with the keys already loaded", "err", err)
				} else if err == nil && failing {
					r.log.Info("ratchet: key ring reload recovered")
				}
				failing = err != nil
			}
		}
	}()
}
