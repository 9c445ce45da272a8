package core

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// verifyCache remembers verified access tokens, keyed by the exact token string, so a repeat
// verification costs one map lookup instead of a signature check. Entries die at the token's
// exp (plus the configured skew). Revocation is unaffected: CheckDatabase always reads the store,
// and a revoked signing key flushes the cache.
type verifyCache struct {
	mu  sync.RWMutex
	m   map[string]*verified
	max int
	gen uint64 // bumped by flush; a verification that straddles a flush is not cached

	hits, misses atomic.Uint64 // Engine.Stats
}

func newVerifyCache(max int) *verifyCache {
	return &verifyCache{m: make(map[string]*verified, min(max, 1024)), max: max}
}

func (c *verifyCache) get(tok string, now time.Time, skew time.Duration) *verified {
	c.mu.RLock()
	v := c.m[tok]
	c.mu.RUnlock()
	if v == nil {
		return nil
	}
	if !now.Before(v.expiry.Add(skew)) {
		c.mu.Lock()
		delete(c.m, tok)
		c.mu.Unlock()
		return nil
	}
	return v
}

// cachedAccess returns tok's cached verification if it is cached and unexpired, else nil.
func (e *Engine) cachedAccess(tok string) *verified {
	if e.cache == nil {
		return nil
	}
	if v := e.cache.get(tok, e.cfg.Clock.Now(), e.cfg.ClockSkew); v != nil {
		e.cache.hits.Add(1)
		return v
	}
	return nil
}

// generation is read before a verification starts and passed to put.
func (c *verifyCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *verifyCache) put(tok string, v *verified) { c.putIfGen(tok, v, c.generation()) }

// putIfGen caches v unless the cache was flushed since generation gen was read: the
// verification may have used a key that has been revoked since.
func (c *verifyCache) putIfGen(tok string, v *verified, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= c.max {
		// Evict an eighth of the entries; map iteration order is random, which makes this a
		// cheap random-replacement policy that an attacker cannot steer.
		n := c.max/8 + 1
		for k := range c.m {
			delete(c.m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	// Clone the key: adapters over reused buffers (fasthttp) must not alias our map keys.
	c.m[strings.Clone(tok)] = v
}

func (c *verifyCache) flush() {
	c.mu.Lock()
	clear(c.m)
	c.gen++
	c.mu.Unlock()
}

func (c *verifyCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
