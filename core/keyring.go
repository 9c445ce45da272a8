package core

import (
	"cmp"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// KeyRingOptions configures NewStoreKeyRing. The zero value is valid when RATCHET_KEK is set.
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
	// AES-256-GCM. Empty: read RATCHET_KEK (base64). Required: the ring refuses to run without.
	KEK []byte
	// PreviousKEKs are accepted for decryption only, while RewrapKEK moves keys to KEK.
	// Empty: read RATCHET_KEK_PREVIOUS (comma-separated base64), if set.
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

// KeyRingBinder is implemented by key rings that need to know the engines built on them:
// core.New calls BindEngine once per engine. The ring checks its overlap against the engine's
// token lifetime and calls FlushVerifyCache when it revokes a key.
type KeyRingBinder interface {
	BindEngine(EngineBinding) error
}

// EngineBinding is what an engine tells a KeyRingBinder about itself.
type EngineBinding struct {
	AccessTTL, ClockSkew time.Duration
	// FlushVerifyCache forgets every cached verification (Engine.FlushVerifyCache).
	FlushVerifyCache func()
	// Emit reports a key-lifecycle security event through the engine (logs and
	// Config.OnSecurityEvent).
	Emit func(SecurityEvent)
}

// JWKSMaxAger is implemented by key rings that know how long a copy of their JWKS stays
// correct; the JWKS route sends it as Cache-Control max-age. Without it the route sends 300 s.
type JWKSMaxAger interface {
	JWKSMaxAge() time.Duration
}

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

// ringKey is a key row as the ring sees it.
type ringKey struct {
	StoredKey
	vk *VerificationKey
	sk *SigningKey // nil when this instance has no private key for it
	// stop is when the key stops signing: the earliest SignAfter of any newer key, or the
	// stored RetireAt if earlier; zero while no newer key exists.
	stop  time.Time
	skErr error // why sk is nil although the key could sign
}

// ringView is an immutable snapshot of the ring; readers load it without locks.
type ringView struct {
	keys  []*ringKey // CreatedAt ascending, ties by kid
	byKID map[string]*ringKey
}

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

	if err := r.loadKEKs(ctx, opts); err != nil {
		return nil, err
	}
	r.mu.Lock()
	err := r.loadLocked(ctx, true, true)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if r.reloadEvery > 0 {
		r.startReloader()
	}
	return r, nil
}

// loadKEKs takes the KEKs from opts or the environment. With none, the error says whether the
// store already holds sealed keys.
func (r *StoreKeyRing) loadKEKs(ctx context.Context, opts KeyRingOptions) error {
	primary, source := opts.KEK, "KeyRingOptions.KEK"
	if len(primary) == 0 {
		source = KEKEnv
		if env := os.Getenv(KEKEnv); env != "" {
			b, err := ParseKEK(env)
			if err != nil {
				return fmt.Errorf("%s: %w", KEKEnv, err)
			}
			primary = b
		}
	}
	if len(primary) == 0 {
		msg := "no key-encryption key: set " + KEKEnv + " to the base64 of 32 random bytes (openssl rand -base64 32) or KeyRingOptions.KEK"
		if rows, err := r.store.ListKeys(ctx); err == nil {
			if ids := sealedUnder(rows); len(ids) > 0 {
				msg += fmt.Sprintf("; the store holds signing keys sealed under KEK %s, which stay untouched", strings.Join(ids, ", "))
			}
		}
		return fmt.Errorf("%w: %s", ErrKEK, msg)
	}
	k, err := newKEK(primary)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	r.keks = []*kek{k}
	prev := opts.PreviousKEKs
	if len(prev) == 0 {
		for _, s := range strings.Split(os.Getenv(PreviousKEKsEnv), ",") {
			if strings.TrimSpace(s) == "" {
				continue
			}
			b, err := ParseKEK(s)
			if err != nil {
				return fmt.Errorf("%s: %w", PreviousKEKsEnv, err)
			}
			prev = append(prev, b)
		}
	}
	for _, p := range prev {
		pk, err := newKEK(p)
		if err != nil {
			return fmt.Errorf("previous KEK: %w", err)
		}
		r.keks = append(r.keks, pk)
	}
	return nil
}

// sealedUnder lists the KEK ids that the live sealed keys in rows name.
func sealedUnder(rows []StoredKey) []string {
	var ids []string
	for _, k := range rows {
		if !k.Revoked && len(k.PrivateKey) > 0 {
			if id := sealedKEKID(k.PrivateKey); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

func (r *StoreKeyRing) kekByID(id string) *kek {
	for _, k := range r.keks {
		if k.ID() == id {
			return k
		}
	}
	return nil
}

// checkKEKs fails if a live sealed key names a KEK the ring does not have.
func (r *StoreKeyRing) checkKEKs(rows []StoredKey) error {
	var bad []string
	for _, k := range rows {
		if k.Revoked || len(k.PrivateKey) == 0 {
			continue
		}
		id := sealedKEKID(k.PrivateKey)
		if id == "" {
			return fmt.Errorf("%w: the private key of %s is not sealed (not written by ratchet?); leaving it untouched", ErrKEK, k.KID)
		}
		if r.kekByID(id) == nil {
			bad = append(bad, k.KID+" (KEK "+id+")")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	ids := make([]string, len(r.keks))
	for i, k := range r.keks {
		ids[i] = k.ID()
	}
	return fmt.Errorf("%w: wrong key-encryption key: signing keys %s are sealed under a KEK this instance was not given (it has %s); "+
		"the keys were left untouched; set %s to the KEK they were created with (or list it in %s while re-wrapping)",
		ErrKEK, strings.Join(bad, ", "), strings.Join(ids, ", "), KEKEnv, PreviousKEKsEnv)
}

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

func (r *StoreKeyRing) notifyRevoked() {
	r.cbmu.Lock()
	fns := slices.Clone(r.onRevoke)
	r.cbmu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// sortKeys orders rows by CreatedAt, then kid, and computes every key's stop time.
func sortKeys(rows []StoredKey) []*ringKey {
	keys := make([]*ringKey, len(rows))
	for i := range rows {
		keys[i] = &ringKey{StoredKey: rows[i]}
	}
	slices.SortFunc(keys, func(a, b *ringKey) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.KID, b.KID))
	})
	var next time.Time // earliest SignAfter of the keys after i
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		k.stop = next
		if !k.RetireAt.IsZero() && (k.stop.IsZero() || k.RetireAt.Before(k.stop)) {
			k.stop = k.RetireAt
		}
		if next.IsZero() || k.SignAfter.Before(next) {
			next = k.SignAfter
		}
	}
	return keys
}

// signs reports whether k is the signing key at now: unrevoked, past its SignAfter and not
// yet stopped. At most one key qualifies, because a key stops when a newer one starts.
func (k *ringKey) signs(now time.Time) bool {
	return !k.Revoked && !now.Before(k.SignAfter) && (k.stop.IsZero() || now.Before(k.stop))
}

// verifyUntil is when k stops verifying (zero: not scheduled yet).
func (k *ringKey) verifyUntil(overlap time.Duration) time.Time {
	if k.stop.IsZero() {
		return time.Time{}
	}
	return k.stop.Add(overlap)
}

func (k *ringKey) verifies(now time.Time, overlap time.Duration) bool {
	if k.Revoked {
		return false
	}
	u := k.verifyUntil(overlap)
	return u.IsZero() || now.Before(u)
}

func (v *ringView) signingAt(now time.Time) (*SigningKey, error) {
	for i := len(v.keys) - 1; i >= 0; i-- {
		k := v.keys[i]
		if !k.signs(now) {
			continue
		}
		if k.sk == nil {
			return nil, fmt.Errorf("ratchet: key ring: the current signing key %s is unusable on this instance: %w", k.KID, k.skErr)
		}
		return k.sk, nil
	}
	return nil, errors.New("ratchet: key ring: no key can sign now (waiting for the next reload to create one)")
}

// build turns rows into a view, parsing public keys and opening the private keys of keys that
// may still sign. Parsed keys are cached by kid: a kid never changes its key material.
func (r *StoreKeyRing) build(rows []StoredKey) (*ringView, error) {
	now := r.clock.Now()
	v := &ringView{keys: sortKeys(rows), byKID: make(map[string]*ringKey, len(rows))}
	for _, k := range v.keys {
		v.byKID[k.KID] = k
		vk := r.pub[k.KID]
		if vk == nil {
			pub, err := x509.ParsePKIXPublicKey(k.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("ratchet: key ring: public key of %s: %w", k.KID, err)
			}
			vk = &VerificationKey{ID: k.KID, Algorithm: k.Algorithm, Public: pub}
			r.pub[k.KID] = vk
		}
		k.vk = vk
		if k.Revoked || (!k.stop.IsZero() && !now.Before(k.stop)) {
			delete(r.priv, k.KID) // it never signs again
			continue
		}
		if signer := r.priv[k.KID]; signer != nil {
			k.sk = &SigningKey{ID: k.KID, Algorithm: k.Algorithm, Private: signer}
			continue
		}
		if len(k.PrivateKey) == 0 {
			k.skErr = errors.New("its private key was erased")
			continue
		}
		sk, err := r.open(k.StoredKey, vk)
		if err != nil {
			k.skErr = err
			continue
		}
		r.priv[k.KID] = sk.Private
		k.sk = sk
	}
	return v, nil
}

// open decrypts a stored private key and checks it against the stored public key.
func (r *StoreKeyRing) open(k StoredKey, vk *VerificationKey) (*SigningKey, error) {
	kk := r.kekByID(sealedKEKID(k.PrivateKey))
	if kk == nil {
		return nil, fmt.Errorf("%w: %s is sealed under KEK %q, which this instance was not given", ErrKEK, k.KID, sealedKEKID(k.PrivateKey))
	}
	der, err := kk.open(k.KID, k.Algorithm, k.PrivateKey)
	if err != nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("ratchet: key ring: private key of %s: %w", k.KID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("ratchet: key ring: private key of %s is a %T", k.KID, parsed)
	}
	sk := &SigningKey{ID: k.KID, Algorithm: k.Algorithm, Private: signer}
	if err := checkKey(sk); err != nil {
		return nil, fmt.Errorf("ratchet: key ring: %w", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pe, ok := signer.Public().(equaler); !ok || !pe.Equal(vk.Public) {
		return nil, fmt.Errorf("ratchet: key ring: the private key of %s does not match its public key", k.KID)
	}
	return sk, nil
}

// maintain performs the writes the schedule calls for and reports whether it wrote.
func (r *StoreKeyRing) maintain(ctx context.Context, rows []StoredKey) (bool, error) {
	now := r.clock.Now()
	keys := sortKeys(rows)
	wrote := false
	if nk := r.due(keys, now); nk != nil {
		if _, err := r.insert(ctx, nk.kid, nk.created, nk.signAfter); err != nil {
			return false, err
		}
		wrote = true
		if rows, err := r.store.ListKeys(ctx); err != nil {
			return wrote, fmt.Errorf("ratchet: key ring: list keys: %w", err)
		} else {
			keys = sortKeys(rows)
		}
	}
	overlap := r.Overlap()
	for _, k := range keys {
		if k.Revoked {
			continue
		}
		// Record when a superseded key stops signing (visible to operators and other tools).
		if !k.stop.IsZero() && (k.RetireAt.IsZero() || k.stop.Before(k.RetireAt)) {
			if _, err := r.store.UpdateKey(ctx, k.KID, KeyUpdate{RetireBy: k.stop}); err != nil {
				return wrote, fmt.Errorf("ratchet: key ring: retire %s: %w", k.KID, err)
			}
			wrote = true
		}
		// A key past its overlap can never sign again: erase its private key.
		if len(k.PrivateKey) > 0 && !k.stop.IsZero() && !now.Before(k.stop.Add(overlap)) {
			if _, err := r.store.UpdateKey(ctx, k.KID, KeyUpdate{IfPrivateKey: k.PrivateKey, PrivateKey: []byte{}}); err != nil {
				return wrote, fmt.Errorf("ratchet: key ring: erase %s: %w", k.KID, err)
			}
			wrote = true
		}
	}
	return wrote, nil
}

type newKeyPlan struct {
	kid                string
	created, signAfter time.Time
}

// due decides whether a key must be created now. Its kid follows from the keys every instance
// sees, so instances that decide at the same moment race on the same kid and exactly one wins:
//   - no key at all: the rotation slot of now (Unix time divided into RotationInterval slots);
//   - no key can sign now, or the newest key is revoked: one millisecond after the newest
//     key, signing at once (waiting would leave nothing to sign with);
//   - the newest key is RotationInterval old: the latest slot after it, signing after
//     SigningDelay.
func (r *StoreKeyRing) due(keys []*ringKey, now time.Time) *newKeyPlan {
	now = now.UTC().Truncate(time.Millisecond)
	if len(keys) == 0 {
		// It signs from the start of its slot: an instance whose clock is a little behind the
		// inserter's must not find "no key can sign" and create another.
		slot := time.UnixMilli(now.UnixMilli() / r.interval.Milliseconds() * r.interval.Milliseconds())
		return &newKeyPlan{kid: dynamicKid(slot), created: slot, signAfter: slot}
	}
	newest := keys[len(keys)-1]
	signer := false
	for _, k := range keys {
		signer = signer || k.signs(now)
	}
	if !signer || newest.Revoked {
		c := newest.CreatedAt.Add(time.Millisecond)
		return &newKeyPlan{kid: dynamicKid(c), created: c, signAfter: immediate(c, now)}
	}
	if age := now.Sub(newest.CreatedAt); age >= r.interval {
		c := newest.CreatedAt.Add(age / r.interval * r.interval)
		return &newKeyPlan{kid: dynamicKid(c), created: c, signAfter: now.Add(r.delay)}
	}
	return nil
}

// immediateSkew is how far in the past a key that must sign at once starts signing, so that
// instances whose clocks are a little behind see it signing too (rather than no key at all).
// Its predecessor's tokens then verify for Overlap minus this, which stays above AccessTTL.
const immediateSkew = 5 * time.Second

// immediate is the SignAfter of a key that must sign at once: now, minus immediateSkew, but
// not before the key's creation.
func immediate(created, now time.Time) time.Time {
	if t := now.Add(-immediateSkew); t.After(created) {
		return t
	}
	return created
}

func dynamicKid(created time.Time) string { return "d-" + strconv.FormatInt(created.UnixMilli(), 10) }

// insert generates a key and inserts it under kid; false means another instance won the race.
func (r *StoreKeyRing) insert(ctx context.Context, kid string, created, signAfter time.Time) (bool, error) {
	sk, err := GenerateKey(r.alg)
	if err != nil {
		return false, err
	}
	pub, err := x509.MarshalPKIXPublicKey(sk.Private.Public())
	if err != nil {
		return false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(sk.Private)
	if err != nil {
		return false, err
	}
	row := StoredKey{
		KID: kid, Algorithm: r.alg, PublicKey: pub, PrivateKey: r.keks[0].seal(kid, r.alg, der),
		CreatedAt: created.UTC().Truncate(time.Millisecond), SignAfter: signAfter.UTC().Truncate(time.Millisecond),
	}
	clear(der)
	ok, err := r.store.InsertKey(ctx, row)
	if err != nil {
		return false, fmt.Errorf("ratchet: key ring: insert %s: %w", kid, err)
	}
	if ok {
		r.log.Info("ratchet: created signing key", "kid", kid, "alg", r.alg, "signs_from", row.SignAfter)
		r.event(EventKeyCreated, "kid="+kid+" alg="+r.alg)
	}
	return ok, nil
}

// RotateNow creates a new key at once, for an emergency or an algorithm change. It signs after
// SigningDelay (at once if no other key can sign); the current key keeps signing until then
// and verifies for Overlap after. It returns the new key's kid.
func (r *StoreKeyRing) RotateNow(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, err := r.store.ListKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	if err := r.checkKEKs(rows); err != nil {
		return "", err
	}
	keys := sortKeys(rows)
	now := r.clock.Now().UTC().Truncate(time.Millisecond)
	created := now
	signer := false
	for _, k := range keys {
		signer = signer || k.signs(now)
	}
	if n := len(keys); n > 0 && !created.After(keys[n-1].CreatedAt) {
		created = keys[n-1].CreatedAt.Add(time.Millisecond)
	}
	signAfter := immediate(created, now)
	if signer {
		signAfter = now.Add(r.delay)
	}
	kid := dynamicKid(created)
	if _, err := r.insert(ctx, kid, created, signAfter); err != nil {
		return "", err
	}
	return kid, r.loadLocked(ctx, true, false)
}

// ErrUnknownKey is returned by RevokeKey for a kid the store does not hold.
var ErrUnknownKey = errors.New("ratchet: no such signing key")

// RevokeKey revokes a key for good (it leaked): this instance refuses its tokens at once and
// flushes the verified-token cache of every engine bound to the ring; other instances do the
// same at their next reload (within ReloadInterval). The private key is erased. If the key
// was the newest, a replacement that signs at once is created. Users whose access token was
// signed by the key refresh once (try-refresh), nobody is signed out.
func (r *StoreKeyRing) RevokeKey(ctx context.Context, kid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok, err := r.store.UpdateKey(ctx, kid, KeyUpdate{Revoke: true})
	if err != nil {
		return fmt.Errorf("ratchet: key ring: revoke %s: %w", kid, err)
	}
	if !ok {
		rows, err := r.store.ListKeys(ctx)
		if err != nil {
			return fmt.Errorf("ratchet: key ring: list keys: %w", err)
		}
		i := slices.IndexFunc(rows, func(k StoredKey) bool { return k.KID == kid })
		if i < 0 {
			return fmt.Errorf("%w: %q", ErrUnknownKey, kid)
		}
		if !rows[i].Revoked {
			return fmt.Errorf("ratchet: key ring: revoke %s: the store changed nothing", kid)
		}
	}
	// Refuse it here at once, even if the reload below fails.
	if v := r.view.Load(); v != nil {
		if k := v.byKID[kid]; k != nil && !k.Revoked {
			nv := &ringView{keys: make([]*ringKey, len(v.keys)), byKID: make(map[string]*ringKey, len(v.keys))}
			for i, rk := range v.keys {
				if rk.KID == kid {
					c := *rk
					c.Revoked, c.sk, c.PrivateKey = true, nil, nil
					rk = &c
				}
				nv.keys[i], nv.byKID[rk.KID] = rk, rk
			}
			r.view.Store(nv)
		}
	}
	delete(r.priv, kid)
	r.log.Warn("ratchet: signing key revoked; its tokens are refused from now on", "kid", kid)
	r.event(EventKeyRevoked, "kid="+kid)
	r.notifyRevoked()
	return r.loadLocked(ctx, true, false)
}

// RewrapKEK re-encrypts every live private key sealed under oldKEK with newKEKBytes (the new KEK), one
// conditional write per key, and from then on seals new keys under newKEK. Keys already under
// newKEK are skipped, so it can be run again after an interruption. It writes nothing if any
// live key is sealed under a third KEK or does not open. It returns how many keys it re-wrapped.
// Other instances need newKEK (with oldKEK in RATCHET_KEK_PREVIOUS until this has run): see
// docs/KEYS.md.
func (r *StoreKeyRing) RewrapKEK(ctx context.Context, oldKEK, newKEKBytes []byte) (int, error) {
	oldK, err := newKEK(oldKEK)
	if err != nil {
		return 0, fmt.Errorf("old KEK: %w", err)
	}
	newK, err := newKEK(newKEKBytes)
	if err != nil {
		return 0, fmt.Errorf("new KEK: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rows, err := r.store.ListKeys(ctx)
	if err != nil {
		return 0, fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	type job struct {
		row StoredKey
		pt  []byte
	}
	var jobs []job
	for _, k := range rows {
		if k.Revoked || len(k.PrivateKey) == 0 {
			continue
		}
		switch sealedKEKID(k.PrivateKey) {
		case newK.ID():
			continue
		case oldK.ID():
			pt, err := oldK.open(k.KID, k.Algorithm, k.PrivateKey)
			if err != nil {
				return 0, err
			}
			jobs = append(jobs, job{k, pt})
		default:
			return 0, fmt.Errorf("%w: %s is sealed under KEK %q, neither the old (%s) nor the new (%s); nothing was re-wrapped",
				ErrKEK, k.KID, sealedKEKID(k.PrivateKey), oldK.ID(), newK.ID())
		}
	}
	n := 0
	for _, j := range jobs {
		sealed := newK.seal(j.row.KID, j.row.Algorithm, j.pt)
		clear(j.pt)
		ok, err := r.store.UpdateKey(ctx, j.row.KID, KeyUpdate{IfPrivateKey: j.row.PrivateKey, PrivateKey: sealed})
		if err != nil {
			return n, fmt.Errorf("ratchet: key ring: re-wrap %s: %w", j.row.KID, err)
		}
		if ok {
			n++
		}
		// Not ok: revoked, erased or re-wrapped concurrently; the check below catches the rest.
	}
	// Seal new keys under newKEK; keep the old one for reading until the process restarts.
	keks := []*kek{newK}
	for _, k := range r.keks {
		if k.ID() != newK.ID() {
			keks = append(keks, k)
		}
	}
	if r.kekByID(oldK.ID()) == nil {
		keks = append(keks, oldK)
	}
	r.keks = keks
	if rows, err = r.store.ListKeys(ctx); err != nil {
		return n, fmt.Errorf("ratchet: key ring: list keys: %w", err)
	}
	for _, k := range rows {
		if !k.Revoked && len(k.PrivateKey) > 0 && sealedKEKID(k.PrivateKey) == oldK.ID() {
			return n, fmt.Errorf("ratchet: key ring: %s is still sealed under the old KEK after re-wrapping (concurrent writer?); run RewrapKEK again", k.KID)
		}
	}
	r.log.Info("ratchet: signing keys re-wrapped under a new KEK", "rewrapped", n, "kek", newK.ID())
	r.event(EventKEKRewrapped, fmt.Sprintf("%d keys re-wrapped under KEK %s", n, newK.ID()))
	return n, r.loadLocked(ctx, true, false)
}

// SigningKey implements KeyRing: the key whose turn it is at the clock's now.
func (r *StoreKeyRing) SigningKey() (*SigningKey, error) {
	return r.view.Load().signingAt(r.clock.Now())
}

// VerificationKey implements KeyRing. A kid the ring does not know, but that could be one of
// ours, makes it re-read the store (at most once per UnknownKidReloadLimit).
func (r *StoreKeyRing) VerificationKey(kid string) (*VerificationKey, bool) {
	now := r.clock.Now()
	if k := r.view.Load().byKID[kid]; k != nil {
		if k.verifies(now, r.Overlap()) {
			return k.vk, true
		}
		return nil, false
	}
	if !r.reloadForKid(kid, now) {
		return nil, false
	}
	if k := r.view.Load().byKID[kid]; k != nil && k.verifies(now, r.Overlap()) {
		return k.vk, true
	}
	return nil, false
}

// plausibleKid accepts only kids a ring could have made recently ("d-<ms>" within two
// rotation intervals of now), so that forged kids cannot make the ring read the store.
func (r *StoreKeyRing) plausibleKid(kid string, now time.Time) bool {
	ms, ok := strings.CutPrefix(kid, "d-")
	if !ok || len(ms) == 0 || len(ms) > 15 {
		return false
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil || n < 0 {
		return false
	}
	t := time.UnixMilli(n)
	return t.Before(now.Add(10*time.Minute)) && t.After(now.Add(-2*r.interval-r.Overlap()))
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

// JWKS implements KeyRing: every key that verifies now (pending keys included), newest first.
func (r *StoreKeyRing) JWKS() ([]byte, error) {
	now, overlap := r.clock.Now(), r.Overlap()
	v := r.view.Load()
	set := jwkSet{Keys: []JWK{}}
	for i := len(v.keys) - 1; i >= 0; i-- {
		if k := v.keys[i]; k.verifies(now, overlap) {
			set.Keys = append(set.Keys, PublicJWK(k.vk))
		}
	}
	return json.Marshal(set)
}

// JWKSMaxAge implements JWKSMaxAger: the time until a key not yet in the JWKS could start
// signing (the next scheduled creation plus SigningDelay), at least 1 s and at most MaxJWKSAge.
func (r *StoreKeyRing) JWKSMaxAge() time.Duration {
	now := r.clock.Now()
	v := r.view.Load()
	next := now
	if n := len(v.keys); n > 0 && !v.keys[n-1].Revoked {
		if due := v.keys[n-1].CreatedAt.Add(r.interval); due.After(now) {
			next = due
		}
	}
	age := next.Add(r.delay).Sub(now)
	return min(max(age.Truncate(time.Second), time.Second), r.maxJWKSAge)
}

// Overlap is how long a key keeps verifying after it stopped signing.
func (r *StoreKeyRing) Overlap() time.Duration { return time.Duration(r.overlap.Load()) }

// BindEngine implements KeyRingBinder: it checks that Overlap is at least twice the engine's
// AccessTTL plus its clock skew (raising a defaulted Overlap to that), and flushes the
// engine's verified-token cache whenever a key is revoked.
func (r *StoreKeyRing) BindEngine(b EngineBinding) error {
	need := 2*b.AccessTTL + b.ClockSkew
	for {
		cur := r.overlap.Load()
		if time.Duration(cur) >= need {
			break
		}
		if !r.overlapAuto {
			return fmt.Errorf("KeyRingOptions.Overlap %v must be at least twice AccessTTL plus ClockSkew (%v)", time.Duration(cur), need)
		}
		if r.overlap.CompareAndSwap(cur, int64(need)) {
			break
		}
	}
	r.cbmu.Lock()
	if b.FlushVerifyCache != nil {
		r.onRevoke = append(r.onRevoke, b.FlushVerifyCache)
	}
	if b.Emit != nil {
		r.emitters = append(r.emitters, b.Emit)
	}
	r.cbmu.Unlock()
	return nil
}

// event reports a key-lifecycle event to every bound engine. Key ids are public.
func (r *StoreKeyRing) event(typ, reason string) {
	r.cbmu.Lock()
	fns := slices.Clone(r.emitters)
	r.cbmu.Unlock()
	for _, f := range fns {
		f(SecurityEvent{Type: typ, Time: r.clock.Now(), Reason: reason})
	}
}

// KeyInfo describes one key of the ring, for operators and tests.
type KeyInfo struct {
	KID, Algorithm string
	CreatedAt      time.Time
	SignAfter      time.Time
	RetireAt       time.Time // when it stops signing; zero while it is the newest key
	VerifyUntil    time.Time // RetireAt + Overlap; zero while it is the newest key
	Revoked        bool
	Signing        bool // it is the signing key now
	Verifying      bool // its tokens verify now (and it is in the JWKS)
	HasPrivateKey  bool // this instance could sign with it
}

// Keys describes every key the ring knows, oldest first, as of the last (re)load.
func (r *StoreKeyRing) Keys() []KeyInfo {
	now, overlap := r.clock.Now(), r.Overlap()
	v := r.view.Load()
	out := make([]KeyInfo, len(v.keys))
	for i, k := range v.keys {
		out[i] = KeyInfo{
			KID: k.KID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, SignAfter: k.SignAfter,
			RetireAt: k.stop, VerifyUntil: k.verifyUntil(overlap), Revoked: k.Revoked,
			Signing: k.signs(now), Verifying: k.verifies(now, overlap), HasPrivateKey: k.sk != nil,
		}
	}
	return out
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
