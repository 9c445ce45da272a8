package keystoretest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// KeyRingSuite is the conformance suite of the shared signing-key ring (core.StoreKeyRing)
// over a store that implements core.KeyStore. It fails at once if the store does not.
//
//   - "KeyStore/…" exercises the core.KeyStore contract directly: conditional inserts and
//     updates, copies, and exactly one winner among 16 concurrent writers of the same kid.
//   - "Ring/…" runs key rings and engines over the store with fake clocks: ≥8 instances
//     started at once end with exactly one key; many rotations with a user refreshing
//     throughout on two instances (one of them lagging) log nobody out; a key verifies until
//     its overlap ends and not after; RevokeKey is refused at once locally and by another
//     instance after its reload; a wrong or missing KEK fails clearly and writes nothing; KEK
//     re-wrap; unknown-kid reloads are rate-limited; the JWKS lists exactly the verification
//     keys.
//
// newStore must return a fresh, empty store for each subtest, as for StoreSuite. Instances in
// a subtest share the one store (a SQL store's connection pool serves them concurrently).
// The suite never sleeps: time is a core.FakeClock, and background reloads are off (each test
// calls Reload where an instance's loop would).
func KeyRingSuite(t *testing.T, newStore func(t *testing.T) core.Store) {
	t.Helper()
	keyStore := func(t *testing.T) core.KeyStore {
		s := newStore(t)
		ks, ok := s.(core.KeyStore)
		if !ok {
			t.Fatalf("the store (%T) does not implement core.KeyStore", s)
		}
		return ks
	}
	t.Run("KeyStore", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			fn   func(t *testing.T, s core.KeyStore)
		}{
			{"InsertListRoundTrip", testKeyInsertList},
			{"InsertExistingKidIsNoOp", testKeyInsertDuplicate},
			{"ListReturnsCopies", testKeyListCopies},
			{"UpdateMissing", testKeyUpdateMissing},
			{"RetireByOnlyMovesEarlier", testKeyRetireBy},
			{"PrivateKeyCompareAndSwap", testKeyCAS},
			{"RevokeIsTerminalAndErases", testKeyRevoke},
			{"ConcurrentInsertOneWinner", testKeyConcurrentInsert},
			{"ConcurrentSwapOneWinner", testKeyConcurrentCAS},
			{"CancelledContext", testKeyCancelled},
		} {
			t.Run(tc.name, func(t *testing.T) { tc.fn(t, keyStore(t)) })
		}
	})
	t.Run("Ring", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			fn   func(t *testing.T, s core.Store)
		}{
			{"ConcurrentStartOneKey", testRingConcurrentStart},
			{"SkewedClocksOneKey", testRingSkewedClocks},
			{"RotationsLogNobodyOut/EdDSA", func(t *testing.T, s core.Store) { testRingRotations(t, s, core.AlgEdDSA) }},
			{"RotationsLogNobodyOut/ES256", func(t *testing.T, s core.Store) { testRingRotations(t, s, core.AlgES256) }},
			{"RotationsLogNobodyOut/RS256", func(t *testing.T, s core.Store) { testRingRotations(t, s, core.AlgRS256) }},
			{"VerifiesUntilRetiredNotAfter", testRingRetire},
			{"RevokeKey", testRingRevoke},
			{"WrongOrMissingKEK", testRingWrongKEK},
			{"RewrapKEK", testRingRewrap},
			{"UnknownKidReloadRateLimited", testRingUnknownKid},
			{"JWKS", testRingJWKS},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := newStore(t)
				if _, ok := s.(core.KeyStore); !ok {
					t.Fatalf("the store (%T) does not implement core.KeyStore", s)
				}
				tc.fn(t, s)
			})
		}
	})
}

// --- core.KeyStore contract ---

var keyEpoch = time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)

// storedKey returns a plausible row: a real Ed25519 public key and random "sealed" bytes. The
// store never interprets either.
func storedKey(t *testing.T, kid string) core.StoredKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return core.StoredKey{
		KID: kid, Algorithm: core.AlgEdDSA, PublicKey: der, PrivateKey: testkit.RandBytes(t, 80),
		CreatedAt: keyEpoch, SignAfter: keyEpoch.Add(time.Minute),
	}
}

func listKeys(t *testing.T, s core.KeyStore) map[string]core.StoredKey {
	t.Helper()
	rows, err := s.ListKeys(context.Background())
	if err != nil {
		t.Fatalf("ListKeys: %v", err)
	}
	m := make(map[string]core.StoredKey, len(rows))
	for _, k := range rows {
		if _, dup := m[k.KID]; dup {
			t.Fatalf("ListKeys returned kid %s twice", k.KID)
		}
		m[k.KID] = k
	}
	return m
}

func getKey(t *testing.T, s core.KeyStore, kid string) core.StoredKey {
	t.Helper()
	k, ok := listKeys(t, s)[kid]
	if !ok {
		t.Fatalf("ListKeys has no %s", kid)
	}
	return k
}

// keyDiff compares two rows; times to the millisecond, in any location.
func keyDiff(want, got core.StoredKey) []string {
	var d []string
	ms := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.UTC().Truncate(time.Millisecond)
	}
	check := func(name string, ok bool, w, g any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", name, g, w))
		}
	}
	check("KID", want.KID == got.KID, want.KID, got.KID)
	check("Algorithm", want.Algorithm == got.Algorithm, want.Algorithm, got.Algorithm)
	check("PublicKey", bytes.Equal(want.PublicKey, got.PublicKey), len(want.PublicKey), len(got.PublicKey))
	check("PrivateKey", bytes.Equal(want.PrivateKey, got.PrivateKey), len(want.PrivateKey), len(got.PrivateKey))
	check("CreatedAt", ms(want.CreatedAt).Equal(ms(got.CreatedAt)), want.CreatedAt, got.CreatedAt)
	check("SignAfter", ms(want.SignAfter).Equal(ms(got.SignAfter)), want.SignAfter, got.SignAfter)
	check("RetireAt", ms(want.RetireAt).Equal(ms(got.RetireAt)), want.RetireAt, got.RetireAt)
	check("Revoked", want.Revoked == got.Revoked, want.Revoked, got.Revoked)
	return d
}

func checkKey(t *testing.T, what string, want, got core.StoredKey) {
	t.Helper()
	if d := keyDiff(want, got); len(d) > 0 {
		t.Fatalf("%s: %s", what, strings.Join(d, "; "))
	}
}

func mustInsertKey(t *testing.T, s core.KeyStore, k core.StoredKey, want bool) {
	t.Helper()
	ok, err := s.InsertKey(context.Background(), k)
	if err != nil {
		t.Fatalf("InsertKey(%s): %v", k.KID, err)
	}
	if ok != want {
		t.Fatalf("InsertKey(%s) = %v, want %v", k.KID, ok, want)
	}
}

func mustUpdateKey(t *testing.T, s core.KeyStore, kid string, u core.KeyUpdate, want bool) {
	t.Helper()
	ok, err := s.UpdateKey(context.Background(), kid, u)
	if err != nil {
		t.Fatalf("UpdateKey(%s): %v", kid, err)
	}
	if ok != want {
		t.Fatalf("UpdateKey(%s, retireBy=%v revoke=%v ifPriv=%v priv=%v) = %v, want %v", kid,
			u.RetireBy, u.Revoke, u.IfPrivateKey != nil, u.PrivateKey != nil, ok, want)
	}
}

func testKeyInsertList(t *testing.T, s core.KeyStore) {
	if got := listKeys(t, s); len(got) != 0 {
		t.Fatalf("a new store lists %d keys", len(got))
	}
	a, b := storedKey(t, "d-1000"), storedKey(t, "d-2000")
	b.Algorithm, b.Revoked = core.AlgRS256, true
	b.CreatedAt = time.Date(2030, 3, 1, 10, 30, 15, 123e6, time.FixedZone("X", 5*3600))
	b.SignAfter, b.RetireAt = b.CreatedAt, b.CreatedAt.Add(time.Hour)
	b.PrivateKey = []byte{}
	mustInsertKey(t, s, a, true)
	mustInsertKey(t, s, b, true)
	got := listKeys(t, s)
	if len(got) != 2 {
		t.Fatalf("ListKeys returned %d keys, want 2", len(got))
	}
	checkKey(t, "key a", a, got["d-1000"])
	checkKey(t, "key b (non-UTC times, revoked, no private key)", b, got["d-2000"])
}

func testKeyInsertDuplicate(t *testing.T, s core.KeyStore) {
	a := storedKey(t, "d-1000")
	mustInsertKey(t, s, a, true)
	other := storedKey(t, "d-1000")
	other.SignAfter = keyEpoch
	mustInsertKey(t, s, other, false)
	checkKey(t, "after a second insert of the same kid", a, getKey(t, s, "d-1000"))
}

func testKeyListCopies(t *testing.T, s core.KeyStore) {
	a := storedKey(t, "d-1000")
	want := a
	want.PublicKey, want.PrivateKey = slices.Clone(a.PublicKey), slices.Clone(a.PrivateKey)
	mustInsertKey(t, s, a, true)
	a.PublicKey[0] ^= 0xff
	a.PrivateKey[0] ^= 0xff
	got := getKey(t, s, "d-1000")
	got.PublicKey[1] ^= 0xff
	got.PrivateKey[1] ^= 0xff
	checkKey(t, "after mutating the inserted and the listed value", want, getKey(t, s, "d-1000"))
}

func testKeyUpdateMissing(t *testing.T, s core.KeyStore) {
	mustUpdateKey(t, s, "d-404", core.KeyUpdate{Revoke: true}, false)
	mustUpdateKey(t, s, "d-404", core.KeyUpdate{RetireBy: keyEpoch}, false)
	if n := len(listKeys(t, s)); n != 0 {
		t.Fatalf("an update of a missing kid created %d rows", n)
	}
}

func testKeyRetireBy(t *testing.T, s core.KeyStore) {
	a := storedKey(t, "d-1000")
	mustInsertKey(t, s, a, true)
	r1 := keyEpoch.Add(2 * time.Hour)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{RetireBy: r1}, true)
	a.RetireAt = r1
	checkKey(t, "after RetireBy on an open key", a, getKey(t, s, a.KID))
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{RetireBy: r1}, false)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{RetireBy: r1.Add(time.Hour)}, false)
	checkKey(t, "after RetireBy with the same and a later time", a, getKey(t, s, a.KID))
	r2 := r1.Add(-time.Hour)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{RetireBy: r2}, true)
	a.RetireAt = r2
	checkKey(t, "after RetireBy with an earlier time", a, getKey(t, s, a.KID))
}

func testKeyCAS(t *testing.T, s core.KeyStore) {
	a := storedKey(t, "d-1000")
	mustInsertKey(t, s, a, true)
	next := testkit.RandBytes(t, 80)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{IfPrivateKey: testkit.RandBytes(t, 80), PrivateKey: next}, false)
	checkKey(t, "after a swap with the wrong expected value", a, getKey(t, s, a.KID))
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{IfPrivateKey: a.PrivateKey, PrivateKey: next}, true)
	old := a.PrivateKey
	a.PrivateKey = next
	checkKey(t, "after a swap", a, getKey(t, s, a.KID))
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{IfPrivateKey: old, PrivateKey: testkit.RandBytes(t, 80)}, false)
	// Erase: an empty, non-nil PrivateKey.
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{IfPrivateKey: next, PrivateKey: []byte{}}, true)
	if got := getKey(t, s, a.KID); len(got.PrivateKey) != 0 {
		t.Fatalf("after erasing, PrivateKey has %d bytes", len(got.PrivateKey))
	}
	// A condition on the private key and a retirement apply together or not at all.
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{IfPrivateKey: next, RetireBy: keyEpoch}, false)
	if got := getKey(t, s, a.KID); !got.RetireAt.IsZero() {
		t.Fatalf("a failed conditional update still set RetireAt = %v", got.RetireAt)
	}
}

func testKeyRevoke(t *testing.T, s core.KeyStore) {
	a := storedKey(t, "d-1000")
	mustInsertKey(t, s, a, true)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{Revoke: true}, true)
	got := getKey(t, s, a.KID)
	if !got.Revoked || len(got.PrivateKey) != 0 {
		t.Fatalf("after Revoke: Revoked=%v, PrivateKey %d bytes; want revoked and erased", got.Revoked, len(got.PrivateKey))
	}
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{Revoke: true}, false)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{RetireBy: keyEpoch}, false)
	mustUpdateKey(t, s, a.KID, core.KeyUpdate{IfPrivateKey: []byte{}, PrivateKey: testkit.RandBytes(t, 8)}, false)
	if got := getKey(t, s, a.KID); !got.Revoked || len(got.PrivateKey) != 0 || !got.RetireAt.IsZero() {
		t.Fatalf("a revoked key changed: %+v", got)
	}
}

func testKeyConcurrentInsert(t *testing.T, s core.KeyStore) {
	const n = 16
	rows := make([]core.StoredKey, n)
	for i := range rows {
		rows[i] = storedKey(t, "d-7777")
	}
	var wins atomic.Int64
	errs := make([]error, n)
	testkit.Concurrently(n, func(i int) {
		ok, err := s.InsertKey(context.Background(), rows[i])
		errs[i] = err
		if ok {
			wins.Add(1)
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent InsertKey of one kid: %v (a lost race must be (false, nil))", err)
	}
	if wins.Load() != 1 {
		t.Fatalf("%d of %d concurrent inserts of one kid won, want exactly 1", wins.Load(), n)
	}
	got := getKey(t, s, "d-7777")
	if !slices.ContainsFunc(rows, func(r core.StoredKey) bool { return bytes.Equal(r.PublicKey, got.PublicKey) }) {
		t.Fatal("the stored key is none of the inserted ones")
	}
}

func testKeyConcurrentCAS(t *testing.T, s core.KeyStore) {
	a := storedKey(t, "d-1000")
	mustInsertKey(t, s, a, true)
	const n = 16
	var wins atomic.Int64
	errs := make([]error, n)
	next := make([][]byte, n)
	for i := range next {
		next[i] = testkit.RandBytes(t, 80)
	}
	testkit.Concurrently(n, func(i int) {
		ok, err := s.UpdateKey(context.Background(), a.KID, core.KeyUpdate{IfPrivateKey: a.PrivateKey, PrivateKey: next[i]})
		errs[i] = err
		if ok {
			wins.Add(1)
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if wins.Load() != 1 {
		t.Fatalf("%d of %d concurrent swaps from the same value won, want exactly 1", wins.Load(), n)
	}
}

func testKeyCancelled(t *testing.T, s core.KeyStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.ListKeys(ctx); err == nil {
		t.Error("ListKeys with a cancelled context succeeded")
	}
	if _, err := s.InsertKey(ctx, storedKey(t, "d-1")); err == nil {
		t.Error("InsertKey with a cancelled context succeeded")
	}
	if n := len(listKeys(t, s)); n != 0 {
		t.Errorf("InsertKey with a cancelled context stored %d rows", n)
	}
}

// --- rings and engines ---

// Ring settings of the suite: an hour between keys, a minute of signing delay and five-minute
// access tokens. The overlap is the default: twice the access TTL, at least 30 minutes.
const (
	ringInterval  = time.Hour
	ringDelay     = time.Minute
	ringAccessTTL = 5 * time.Minute
	ringLimit     = 30 * time.Second
)

var quiet = slog.New(slog.DiscardHandler)

func ringOptions(clock core.Clock, kek []byte, alg string) core.KeyRingOptions {
	return core.KeyRingOptions{
		Algorithm: alg, RotationInterval: ringInterval, SigningDelay: ringDelay, KEK: kek,
		ReloadInterval: -1, UnknownKidReloadLimit: ringLimit, Clock: clock, Logger: quiet,
	}
}

// newRing builds a ring over s and closes it at the end of the test.
func newRing(t *testing.T, s core.Store, opts core.KeyRingOptions) *core.StoreKeyRing {
	t.Helper()
	r, err := core.NewStoreKeyRing(context.Background(), s, opts)
	if err != nil {
		t.Fatalf("NewStoreKeyRing: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// newRingEngine builds an engine (one app instance) over s and ring.
func newRingEngine(t *testing.T, s core.Store, ring core.KeyRing, clock core.Clock) *core.Engine {
	t.Helper()
	e, err := core.New(core.Config{
		Store: s, Keys: ring, Clock: clock, AccessTTL: ringAccessTTL, RefreshTTL: 7 * 24 * time.Hour,
		AbsoluteTTL: 30 * 24 * time.Hour, RevocationPollInterval: -1, Cookies: core.CookieConfig{Insecure: true},
		Logger: quiet,
	})
	if err != nil {
		t.Fatalf("core.New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func mustReload(t *testing.T, r *core.StoreKeyRing) {
	t.Helper()
	if err := r.Reload(context.Background()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
}

func signingKid(t *testing.T, r core.KeyRing) string {
	t.Helper()
	k, err := r.SigningKey()
	if err != nil {
		t.Fatalf("SigningKey: %v", err)
	}
	return k.ID
}
