package core

// The store-backed key ring: the StoreKeyRing type, its construction (options, then KEKs,
// then the first load, then the background reload) and Close. Each of its jobs has a file:
// keyring_options.go (settings and their defaults), keyring_kek.go (the KEKs and opening
// sealed keys), keyring_view.go (the immutable snapshot every reader uses),
// keyring_rotation.go (the schedule and its writes), keyring_reload.go (re-reading the
// store), keyring_verify.go (the KeyRing methods on the request path), keyring_admin.go
// (operator operations) and keyring_binding.go (what the ring and its engines tell each
// other).

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// StoreKeyRing is a KeyRing persisted through a KeyStore, shared by every instance of an app:
// scheduled rotation with a signing delay, an overlap during which retired keys still verify,
// emergency rotation and revocation, and private keys sealed under a key-encryption key.
// docs/KEYS.md describes the lifecycle. Build it with NewStoreKeyRing; Close stops it.
type StoreKeyRing struct {
	store        KeyStore
	alg          string
	interval     time.Duration
	delay        time.Duration
	reloadEvery  time.Duration
	unknownLimit time.Duration
	maxJWKSAge   time.Duration
	clock        Clock
	log          *slog.Logger

	overlap     atomic.Int64 // nanoseconds
	overlapAuto bool

	mu   sync.Mutex // serialises store reads that build a view, and every write
	keks []*kek     // [0] seals new keys; all open (guarded by mu)
	priv map[string]crypto.Signer
	pub  map[string]*VerificationKey
	view atomic.Pointer[ringView]

	umu         sync.Mutex // unknown-kid reloads
	lastUnknown time.Time
	inflight    chan struct{}

	cbmu     sync.Mutex
	onRevoke []func()
	emitters []func(SecurityEvent)

	stop, done chan struct{}
	closeOnce  sync.Once
}

var (
	_ KeyRing       = (*StoreKeyRing)(nil)
	_ KeyRingBinder = (*StoreKeyRing)(nil)
	_ JWKSMaxAger   = (*StoreKeyRing)(nil)
)

// NewStoreKeyRing loads the key ring from store (which must implement KeyStore), creating the
// first key if there is none, and starts the background reload. It fails, without writing
// anything, when no KEK is configured or when the stored private keys are sealed under a KEK
// it was not given.
func NewStoreKeyRing(ctx context.Context, store Store, opts KeyRingOptions) (*StoreKeyRing, error) {
	ks, ok := store.(KeyStore)
	if !ok {
		return nil, fmt.Errorf("%w: the store (%T) does not implement core.KeyStore", ErrConfig, store)
	}
	return NewKeyStoreKeyRing(ctx, ks, opts)
}

// NewKeyStoreKeyRing is NewStoreKeyRing for a KeyStore that is not a session Store.
func NewKeyStoreKeyRing(ctx context.Context, ks KeyStore, opts KeyRingOptions) (*StoreKeyRing, error) {
	r, err := newRing(ks, opts)
	if err != nil {
		return nil, err
	}
	if err := r.loadKEKs(ctx, opts); err != nil {
		return nil, err
	}
	r.mu.Lock()
	err = r.loadLocked(ctx, true, true)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if r.reloadEvery > 0 {
		r.startReloader()
	}
	return r, nil
}

// Close stops the background reload. It is safe to call more than once. The store is not
// closed: it belongs to the caller.
func (r *StoreKeyRing) Close() error {
	r.closeOnce.Do(func() {
		if r.stop != nil {
			close(r.stop)
			<-r.done
		}
	})
	return nil
}
