// Package testkit holds the helpers the public test kits under testkit/ (storetest,
// keystoretest, adaptertest) and ratchet's own tests share. It is internal: the kits' users
// never see it, and it promises nothing beyond what those kits and tests need.
package testkit

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/corehooks"
)

// RandBytes returns n bytes from crypto/rand, failing the test if it cannot.
func RandBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("crypto/rand: %v", err)
	}
	return b
}

// Concurrently runs fn(0..n-1) in n goroutines released together by a start barrier, and
// waits for all of them.
func Concurrently(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// WantKind fails the test unless err wraps kind.
func WantKind(t testing.TB, what string, err, kind error) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %v", what, kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("%s: got error %v, want one matching %v", what, err, kind)
	}
}

// RefreshMeta is the client description the kits pass to every RefreshTokens.
var RefreshMeta = core.RefreshMeta{IP: "198.51.100.9", UserAgent: "ratchet-testkit"}

// PollRevocations reads e's revocation feed once, as its background poller does, so a test
// need not wait for the poll interval.
func PollRevocations(ctx context.Context, e *core.Engine) error {
	return corehooks.PollRevocations(e, ctx)
}

// CookieNames returns e's access and refresh cookie names (with their __Host-/__Secure-
// prefixes when cookies are Secure).
func CookieNames(e *core.Engine) (access, refresh string) { return corehooks.CookieNames(e) }

// RefreshPath returns e's refresh route, which is also the refresh cookie's Path.
func RefreshPath(e *core.Engine) string { return corehooks.RefreshPath(e) }

// EphemeralKeyRing is a per-process key ring with the default algorithm
// (core.NewEphemeralKeyRing), for engines whose signing keys the test does not care about:
// core.New refuses a nil Config.Keys over a store that could share keys.
func EphemeralKeyRing(t testing.TB) core.KeyRing {
	t.Helper()
	ring, err := core.NewEphemeralKeyRing("")
	if err != nil {
		t.Fatalf("core.NewEphemeralKeyRing: %v", err)
	}
	return ring
}
