package core

// KeyRingOptions, their defaults and their validation. Nothing here reads the store, the KEK
// or the environment.

import (
	"cmp"
	"crypto"
	"log/slog"
	"time"
)

// Defaults of KeyRingOptions.
const (
	DefaultRotationInterval      = 7 * 24 * time.Hour
	DefaultSigningDelay          = 60 * time.Second
	DefaultKeyReloadInterval     = 30 * time.Second
	DefaultUnknownKidReloadLimit = 5 * time.Second
	DefaultMaxJWKSAge            = 10 * time.Minute
)

// KeyRingOptions configures NewStoreKeyRing. KEK is required; every other field has a default.
type KeyRingOptions struct {
	// Algorithm of the keys this instance creates: AlgEdDSA (default), AlgES256 or AlgRS256.
	// Existing keys keep their own algorithm; a change takes effect at the next rotation (or
	// call RotateNow).
	Algorithm string
	// RotationInterval: a new key is created this long after the newest one. Default 7 days.
	RotationInterval time.Duration
	// SigningDelay: a new key is published at once but signs only this long after it was
	// created, so that every instance and JWKS cache can learn it first. Default 60 s. It
	// should exceed ReloadInterval.
	SigningDelay time.Duration
	// Overlap: how long a key keeps verifying after it stopped signing. It must be at least
	// twice the engine's AccessTTL (checked when an engine is built on the ring); zero means
	// exactly that (and at least 2 × DefaultAccessTTL).
	Overlap time.Duration

	// KEK is the key-encryption key (32 bytes) that private keys are sealed under with
	// AES-256-GCM. Required: the ring refuses to run without. The ring never reads the
	// environment; KEKFromEnv returns the KEK of RATCHET_KEK for this field.
	KEK []byte
	// PreviousKEKs are accepted for decryption only, while RewrapKEK moves keys to KEK.
	// KEKFromEnv returns those of RATCHET_KEK_PREVIOUS for this field.
	PreviousKEKs [][]byte

	// ReloadInterval: how often the ring re-reads the store in the background, learning new
	// and revoked keys and creating the next key when it is due. It bounds how long another
	// instance keeps accepting a revoked key. Default 30 s; negative: no background work (call
	// Reload yourself).
	ReloadInterval time.Duration
	// UnknownKidReloadLimit: a token whose kid the ring does not know (but that looks like one
	// of ours) makes it re-read the store, at most once per this interval. Default 5 s;
	// negative: never.
	UnknownKidReloadLimit time.Duration
	// MaxJWKSAge caps the JWKS route's Cache-Control max-age, which otherwise runs until the
	// next scheduled key could start signing. It also bounds how long a remote verifier that
	// honours max-age keeps a revoked key. Default 10 min.
	MaxJWKSAge time.Duration

	Clock  Clock
	Logger *slog.Logger
}

// newRing applies the defaults of opts and checks them. It builds the ring without touching
// the store or the KEKs: NewKeyStoreKeyRing does that next.
func newRing(ks KeyStore, opts KeyRingOptions) (*StoreKeyRing, error) {
	r := &StoreKeyRing{
		store:        ks,
		alg:          cmp.Or(opts.Algorithm, DefaultAlgorithm),
		interval:     cmp.Or(opts.RotationInterval, DefaultRotationInterval),
		delay:        cmp.Or(opts.SigningDelay, DefaultSigningDelay),
		reloadEvery:  cmp.Or(opts.ReloadInterval, DefaultKeyReloadInterval),
		unknownLimit: cmp.Or(opts.UnknownKidReloadLimit, DefaultUnknownKidReloadLimit),
		maxJWKSAge:   cmp.Or(opts.MaxJWKSAge, DefaultMaxJWKSAge),
		clock:        opts.Clock,
		log:          opts.Logger,
		priv:         map[string]crypto.Signer{},
		pub:          map[string]*VerificationKey{},
	}
	if r.clock == nil {
		r.clock = systemClock{}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	switch {
	case !supportedAlg(r.alg):
		return nil, configErr("KeyRingOptions.Algorithm %q: want EdDSA, ES256 or RS256", r.alg)
	case r.interval < time.Minute:
		return nil, configErr("KeyRingOptions.RotationInterval %v is below one minute", r.interval)
	case r.delay < 0 || r.delay >= r.interval:
		return nil, configErr("KeyRingOptions.SigningDelay %v must be between 0 and RotationInterval", r.delay)
	case opts.Overlap < 0:
		return nil, configErr("negative KeyRingOptions.Overlap")
	case r.maxJWKSAge < time.Second:
		return nil, configErr("KeyRingOptions.MaxJWKSAge %v is below one second", r.maxJWKSAge)
	}
	if r.reloadEvery > 0 && r.reloadEvery >= r.delay {
		r.log.Warn("ratchet: KeyRingOptions.ReloadInterval is not below SigningDelay: other instances may meet a new key before they have loaded it (they then reload on the unknown kid)",
			"reload_interval", r.reloadEvery, "signing_delay", r.delay)
	}
	r.overlapAuto = opts.Overlap == 0
	r.overlap.Store(int64(cmp.Or(opts.Overlap, 2*DefaultAccessTTL)))
	return r, nil
}
