package core

import (
	"sync"
	"time"
)

// sessionFacts is what a rotation needs to know about a session without reading its row: the
// parts that never change after sign-in (secret, user, lifetimes, sign-in client), and the
// payload with the Version it was read at. A stale payload cannot be used: the one-statement
// rotation requires the row's Version to be the cached one (Rotator), and a refused write
// sends the refresh to the path that reads the row.
type sessionFacts struct {
	userID            string
	secret            []byte
	createdAt         time.Time
	idleTimeout       time.Duration
	absoluteExpiresAt time.Time
	ip, userAgent     string
	payload           []byte
	version           int64
}

// factsCacheSize bounds the cache: at most this many sessions are remembered per engine. A
// session it forgot costs its next refresh one extra round trip, nothing else.
const factsCacheSize = 1 << 15

// factsCache maps a handle to its sessionFacts. Entries are immutable once stored; remember
// replaces them whole.
type factsCache struct {
	mu sync.Mutex
	m  map[string]*sessionFacts
}

func newFactsCache() *factsCache { return &factsCache{m: make(map[string]*sessionFacts)} }

func (c *factsCache) get(handle string) *sessionFacts {
	c.mu.Lock()
	f := c.m[handle]
	c.mu.Unlock()
	return f
}

// remember stores what rec says about its session. Revoked rows are forgotten instead.
func (c *factsCache) remember(rec *Record) {
	if rec.Revoked || len(rec.Secret) == 0 {
		c.forget(rec.Handle)
		return
	}
	f := &sessionFacts{userID: rec.UserID, secret: rec.Secret, createdAt: rec.CreatedAt,
		idleTimeout: rec.IdleTimeout, absoluteExpiresAt: rec.AbsoluteExpiresAt, ip: rec.IP,
		userAgent: rec.UserAgent, payload: rec.Payload, version: rec.Version}
	c.mu.Lock()
	if _, ok := c.m[rec.Handle]; !ok && len(c.m) >= factsCacheSize {
		for h := range c.m { // map order is random: an arbitrary entry makes room
			delete(c.m, h)
			break
		}
	}
	c.m[rec.Handle] = f
	c.mu.Unlock()
}

func (c *factsCache) forget(handle string) {
	c.mu.Lock()
	delete(c.m, handle)
	c.mu.Unlock()
}

// record rebuilds, from the facts, the row a rotation to child at now writes. Its ExpiresAt
// (the engine's idle expiry) and History are left for the caller; nothing after a rotation
// reads the History.
func (f *sessionFacts) record(handle, presented, child string, now time.Time) *Record {
	return &Record{Handle: handle, UserID: f.userID, Secret: f.secret, CurrentHash: child,
		PreviousHash: presented, RotatedAt: now, CreatedAt: f.createdAt, LastActiveAt: now,
		IdleTimeout: f.idleTimeout, AbsoluteExpiresAt: f.absoluteExpiresAt, Version: f.version,
		Payload: f.payload, IP: f.ip, UserAgent: f.userAgent}
}
