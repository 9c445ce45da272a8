package keystoretest

// KeyRingSuite: key rings and engines over one store (see keyringsuite.go).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// tokenKid returns the kid in an access token's header.
func tokenKid(t *testing.T, tok string) string {
	t.Helper()
	seg, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("token header: %v", err)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(raw, &h); err != nil || h.Kid == "" {
		t.Fatalf("token header %s: no kid (%v)", raw, err)
	}
	return h.Kid
}

func mustIssue(t *testing.T, e *core.Engine, user string) *core.Tokens {
	t.Helper()
	tok, err := e.IssueTokens(context.Background(), user, core.CreateOptions{})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

func mustVerify(t *testing.T, what string, e *core.Engine, access string) {
	t.Helper()
	if _, err := e.VerifyAccessToken(context.Background(), access, core.VerifyOptions{}); err != nil {
		t.Fatalf("%s: Verify: %v", what, err)
	}
}

func keyInfo(t *testing.T, r *core.StoreKeyRing, kid string) core.KeyInfo {
	t.Helper()
	for _, k := range r.Keys() {
		if k.KID == kid {
			return k
		}
	}
	t.Fatalf("the ring does not know %s", kid)
	return core.KeyInfo{}
}

func jwksKids(t *testing.T, r core.KeyRing) []string {
	t.Helper()
	doc, err := r.JWKS()
	if err != nil {
		t.Fatalf("JWKS: %v", err)
	}
	var set struct{ Keys []map[string]any }
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	var kids []string
	for _, k := range set.Keys {
		kid, _ := k["kid"].(string)
		kids = append(kids, kid)
	}
	return kids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// snapshotKeys is every row, to compare before and after something that must not write.
func snapshotKeys(t *testing.T, s core.Store) map[string]core.StoredKey {
	t.Helper()
	return listKeys(t, s.(core.KeyStore))
}

func sameKeys(t *testing.T, what string, before, after map[string]core.StoredKey) {
	t.Helper()
	if len(before) != len(after) {
		t.Fatalf("%s: the store went from %d to %d keys", what, len(before), len(after))
	}
	for kid, b := range before {
		a, ok := after[kid]
		if !ok {
			t.Fatalf("%s: key %s disappeared", what, kid)
		}
		if d := keyDiff(b, a); len(d) > 0 {
			t.Fatalf("%s: key %s changed: %s", what, kid, strings.Join(d, "; "))
		}
	}
}

// testRingConcurrentStart: 8 instances (ring + engine) start at the same moment on an empty
// store and end with exactly one key; at the next rotation, 8 concurrent reloads create
// exactly one more, which all of them start signing with at the same time.
func testRingConcurrentStart(t *testing.T, s core.Store) {
	const n = 8
	clock := core.NewFakeClock(keyEpoch.Add(17 * time.Minute))
	kek := testkit.RandBytes(t, core.KEKSize)
	rings := make([]*core.StoreKeyRing, n)
	engines := make([]*core.Engine, n)
	errs := make([]error, n)
	testkit.Concurrently(n, func(i int) {
		r, err := core.NewStoreKeyRing(context.Background(), s, ringOptions(clock, kek, core.AlgEdDSA))
		if err != nil {
			errs[i] = err
			return
		}
		rings[i] = r
		engines[i], errs[i] = core.New(core.Config{Store: s, Keys: r, Clock: clock, AccessTTL: ringAccessTTL,
			RevocationPollInterval: -1, Logger: quiet})
	})
	for i := range n {
		if rings[i] != nil {
			t.Cleanup(func() { _ = rings[i].Close() })
		}
		if engines[i] != nil {
			t.Cleanup(func() { _ = engines[i].Close() })
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent start: %v", err)
	}
	rows := snapshotKeys(t, s)
	if len(rows) != 1 {
		t.Fatalf("%d instances started at once left %d keys in the store, want exactly 1", n, len(rows))
	}
	var kid string
	for kid = range rows {
	}
	if want := "d-" + strconv.FormatInt(keyEpoch.UnixMilli(), 10); kid != want {
		t.Errorf("first key %s, want %s (the rotation slot of the start time)", kid, want)
	}
	for i, r := range rings {
		if got := signingKid(t, r); got != kid {
			t.Fatalf("instance %d signs with %s, want %s", i, got, kid)
		}
	}
	tok := mustIssue(t, engines[3], "alice")
	for i, e := range engines {
		mustVerify(t, fmt.Sprintf("instance %d, token of instance 3", i), e, tok.AccessToken)
	}

	// The next rotation, decided by all eight at once.
	clock.Advance(ringInterval)
	testkit.Concurrently(n, func(i int) { errs[i] = rings[i].Reload(context.Background()) })
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent reload at rotation time: %v", err)
	}
	rows = snapshotKeys(t, s)
	if len(rows) != 2 {
		t.Fatalf("%d instances rotating at once left %d keys, want exactly 2", n, len(rows))
	}
	var next string
	for k := range rows {
		if k != kid {
			next = k
		}
	}
	for i, r := range rings {
		if got := signingKid(t, r); got != kid {
			t.Fatalf("instance %d signs with %s during the signing delay, want the old key %s", i, got, kid)
		}
	}
	tok = mustIssue(t, engines[6], "alice")
	if k := tokenKid(t, tok.AccessToken); k != kid {
		t.Fatalf("during the signing delay a token was signed by %s, want %s", k, kid)
	}
	clock.Advance(ringDelay)
	for i, r := range rings {
		if got := signingKid(t, r); got != next {
			t.Fatalf("instance %d signs with %s after the signing delay, want %s", i, got, next)
		}
		if c := countSigning(r); c != 1 {
			t.Fatalf("instance %d has %d signing keys, want exactly 1", i, c)
		}
	}
	tok2 := mustIssue(t, engines[5], "bob")
	for i, e := range engines {
		mustVerify(t, fmt.Sprintf("instance %d, old token", i), e, tok.AccessToken)
		mustVerify(t, fmt.Sprintf("instance %d, new token", i), e, tok2.AccessToken)
	}
}

// testRingSkewedClocks: 8 instances whose clocks differ by up to 1.75 s start at once, rotate
// at once, and see the fastest one revoke the current key: each step adds exactly one key,
// and all of them sign with it (no instance that is a little behind finds "no key can sign"
// and creates another).
func testRingSkewedClocks(t *testing.T, s core.Store) {
	const n = 8
	kek := testkit.RandBytes(t, core.KEKSize)
	clocks := make([]*core.FakeClock, n)
	rings := make([]*core.StoreKeyRing, n)
	errs := make([]error, n)
	for i := range clocks {
		clocks[i] = core.NewFakeClock(keyEpoch.Add(17*time.Minute + time.Duration(i)*250*time.Millisecond))
	}
	testkit.Concurrently(n, func(i int) {
		rings[i], errs[i] = core.NewStoreKeyRing(context.Background(), s, ringOptions(clocks[i], kek, core.AlgEdDSA))
	})
	for _, r := range rings {
		if r != nil {
			t.Cleanup(func() { _ = r.Close() })
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	agree := func(step string, wantKeys int) string {
		t.Helper()
		if got := len(snapshotKeys(t, s)); got != wantKeys {
			t.Fatalf("%s: %d keys in the store, want %d", step, got, wantKeys)
		}
		kid := signingKid(t, rings[0])
		for i, r := range rings {
			if got := signingKid(t, r); got != kid {
				t.Fatalf("%s: instance %d signs with %s, instance 0 with %s", step, i, got, kid)
			}
		}
		return kid
	}
	agree("start", 1)
	reloadAll := func() {
		t.Helper()
		testkit.Concurrently(n, func(i int) { errs[i] = rings[i].Reload(context.Background()) })
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clocks {
		c.Advance(ringInterval + ringDelay + 2*time.Second)
	}
	reloadAll()
	current := agree("rotation", 2)
	if err := rings[n-1].RevokeKey(context.Background(), current); err != nil {
		t.Fatal(err)
	}
	reloadAll()
	if got := agree("revocation", 3); got == current {
		t.Fatal("still signing with the revoked key")
	}
}

func countSigning(r *core.StoreKeyRing) int {
	n := 0
	for _, k := range r.Keys() {
		if k.Signing {
			n++
		}
	}
	return n
}

// testRingRotations: six and a half rotation intervals in 30-second steps. Instance A reloads
// every step, instance B (without a verified-token cache) every other step, as their
// background loops would. A user's access tokens, issued and refreshed on both, must verify on
// both until they expire, and every refresh must succeed: no rotation logs anyone out.
func testRingRotations(t *testing.T, s core.Store, alg string) {
	ctx := context.Background()
	clock := core.NewFakeClock(keyEpoch)
	kek := testkit.RandBytes(t, core.KEKSize)
	ra := newRing(t, s, ringOptions(clock, kek, alg))
	rb := newRing(t, s, ringOptions(clock, kek, alg))
	ea := newRingEngine(t, s, ra, clock)
	eb, err := core.New(core.Config{Store: s, Keys: rb, Clock: clock, AccessTTL: ringAccessTTL,
		RevocationPollInterval: -1, DisableVerifyCache: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eb.Close() })
	engines := []*core.Engine{ea, eb}

	type issued struct {
		access string
		exp    time.Time
	}
	toks := mustIssue(t, ea, "rotating-user")
	live := []issued{{toks.AccessToken, toks.AccessExpiry}}
	kids := map[string]bool{tokenKid(t, toks.AccessToken): true}
	const step = 30 * time.Second
	steps := int((6*ringInterval + 30*time.Minute) / step)
	refreshes := 0
	for i := range steps {
		clock.Advance(step)
		now := clock.Now()
		mustReload(t, ra)
		if i%2 == 1 {
			mustReload(t, rb)
		}
		e := engines[i%2]
		// Every access token issued so far verifies on both instances until it expires.
		kept := live[:0]
		for _, tok := range live {
			if !now.Before(tok.exp) {
				continue
			}
			for j, e := range engines {
				if _, err := e.VerifyAccessToken(ctx, tok.access, core.VerifyOptions{}); err != nil {
					t.Fatalf("step %d (%v): an unexpired access token (kid %s, exp %v) was refused on instance %d: %v",
						i, now, tokenKid(t, tok.access), tok.exp, j, err)
				}
			}
			kept = append(kept, tok)
		}
		live = kept
		// Refresh a minute before expiry, as a client would, on alternating instances.
		if now.Add(time.Minute).Before(toks.AccessExpiry) {
			continue
		}
		next, err := e.RefreshTokens(ctx, toks.RefreshToken, testkit.RefreshMeta)
		if err != nil {
			t.Fatalf("step %d (%v): refresh on instance %d failed: %v", i, now, i%2, err)
		}
		refreshes++
		toks = next
		kids[tokenKid(t, toks.AccessToken)] = true
		live = append(live, issued{toks.AccessToken, toks.AccessExpiry})
		for j, e := range engines {
			mustVerify(t, fmt.Sprintf("step %d: fresh token on instance %d", i, j), e, toks.AccessToken)
		}
		if kids := jwksKids(t, ra); !contains(kids, tokenKid(t, toks.AccessToken)) {
			t.Fatalf("step %d: the JWKS %v lacks the kid of a token just issued", i, kids)
		}
	}
	if len(kids) < 6 {
		t.Fatalf("the user's tokens were signed by %d keys over six rotations, want ≥ 6 (%v)", len(kids), kids)
	}
	if refreshes < 60 {
		t.Fatalf("only %d refreshes", refreshes)
	}
	rows := snapshotKeys(t, s)
	if len(rows) < 7 {
		t.Fatalf("%d keys after six rotation intervals, want ≥ 7", len(rows))
	}
	for _, r := range []*core.StoreKeyRing{ra, rb} {
		if c := countSigning(r); c != 1 {
			t.Fatalf("%d signing keys, want exactly 1", c)
		}
	}
	// Keys whose overlap has ended are out of the JWKS and their private keys are erased.
	verifying := 0
	for _, k := range ra.Keys() {
		row := rows[k.KID]
		if k.Verifying {
			verifying++
			continue
		}
		if len(row.PrivateKey) != 0 || row.RetireAt.IsZero() {
			t.Errorf("key %s ended its overlap at %v but the store has RetireAt=%v and a %d-byte private key",
				k.KID, k.VerifyUntil, row.RetireAt, len(row.PrivateKey))
		}
	}
	if got := len(jwksKids(t, ra)); got != verifying || got > 3 {
		t.Errorf("JWKS has %d keys, the ring verifies %d (want equal, and at most 3)", got, verifying)
	}
}

// testRingRetire: the last token a key signs verifies until it expires; the key verifies until
// its overlap ends and not a millisecond after; then its private key is erased.
func testRingRetire(t *testing.T, s core.Store) {
	clock := core.NewFakeClock(keyEpoch)
	r := newRing(t, s, ringOptions(clock, testkit.RandBytes(t, core.KEKSize), core.AlgES256))
	e, err := core.New(core.Config{Store: s, Keys: r, Clock: clock, AccessTTL: ringAccessTTL,
		RevocationPollInterval: -1, DisableVerifyCache: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	k1 := signingKid(t, r)
	clock.Advance(ringInterval)
	mustReload(t, r)
	var k2 core.KeyInfo
	for _, k := range r.Keys() {
		if k.KID != k1 {
			k2 = k
		}
	}
	if k2.KID == "" || !k2.SignAfter.Equal(clock.Now().Add(ringDelay)) {
		t.Fatalf("after a rotation interval: new key %+v, want one signing from %v", k2, clock.Now().Add(ringDelay))
	}
	clock.Set(k2.SignAfter.Add(-time.Millisecond))
	last := mustIssue(t, e, "carol")
	if kid := tokenKid(t, last.AccessToken); kid != k1 {
		t.Fatalf("just before the new key's SignAfter the token is signed by %s, want %s", kid, k1)
	}
	clock.Set(k2.SignAfter)
	if kid := signingKid(t, r); kid != k2.KID {
		t.Fatalf("at SignAfter the ring signs with %s, want %s", kid, k2.KID)
	}
	info := keyInfo(t, r, k1)
	if !info.RetireAt.Equal(k2.SignAfter) || info.VerifyUntil.Sub(info.RetireAt) != r.Overlap() || r.Overlap() < 2*ringAccessTTL {
		t.Fatalf("old key: RetireAt %v, VerifyUntil %v, Overlap %v; want RetireAt = %v and VerifyUntil = RetireAt + Overlap ≥ 2 × AccessTTL",
			info.RetireAt, info.VerifyUntil, r.Overlap(), k2.SignAfter)
	}
	clock.Set(last.AccessExpiry.Add(-time.Second))
	mustVerify(t, "the old key's last token just before it expires", e, last.AccessToken)
	clock.Set(info.VerifyUntil.Add(-time.Millisecond))
	if _, ok := r.VerificationKey(k1); !ok || !contains(jwksKids(t, r), k1) {
		t.Fatalf("just before VerifyUntil the old key is refused (or missing from the JWKS %v)", jwksKids(t, r))
	}
	clock.Set(info.VerifyUntil)
	if _, ok := r.VerificationKey(k1); ok {
		t.Fatal("at VerifyUntil the old key still verifies")
	}
	if kids := jwksKids(t, r); contains(kids, k1) || !contains(kids, k2.KID) {
		t.Fatalf("at VerifyUntil the JWKS is %v, want %s only", kids, k2.KID)
	}
	mustReload(t, r)
	rows := snapshotKeys(t, s)
	if row := rows[k1]; len(row.PrivateKey) != 0 || !row.RetireAt.Equal(k2.SignAfter) {
		t.Fatalf("the retired key's row: RetireAt %v (want %v), private key %d bytes (want erased)",
			row.RetireAt, k2.SignAfter, len(row.PrivateKey))
	}
	if row := rows[k2.KID]; len(row.PrivateKey) == 0 || !row.RetireAt.IsZero() {
		t.Fatalf("the current key's row: RetireAt %v, private key %d bytes", row.RetireAt, len(row.PrivateKey))
	}
}

// testRingRevoke: RevokeKey refuses the key's tokens at once on this instance (verified-token
// cache included) and on another instance after its reload; a replacement signs at once.
func testRingRevoke(t *testing.T, s core.Store) {
	ctx := context.Background()
	clock := core.NewFakeClock(keyEpoch)
	kek := testkit.RandBytes(t, core.KEKSize)
	ra := newRing(t, s, ringOptions(clock, kek, core.AlgEdDSA))
	rb := newRing(t, s, ringOptions(clock, kek, core.AlgEdDSA))
	ea, eb := newRingEngine(t, s, ra, clock), newRingEngine(t, s, rb, clock)
	tok := mustIssue(t, ea, "dave")
	k1 := tokenKid(t, tok.AccessToken)
	mustVerify(t, "instance A before revocation", ea, tok.AccessToken) // now in both caches
	mustVerify(t, "instance B before revocation", eb, tok.AccessToken)
	clock.Advance(time.Second)

	if err := ra.RevokeKey(ctx, k1); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	_, err := ea.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{})
	testkit.WantKind(t, "instance A, a token of the revoked key (cached before)", err, core.ErrTryRefresh)
	k2 := signingKid(t, ra)
	if k2 == k1 || !keyInfo(t, ra, k2).Signing {
		t.Fatalf("after revoking the only key, instance A signs with %s; want a replacement that signs at once", k2)
	}
	if contains(jwksKids(t, ra), k1) {
		t.Fatal("the revoked key is still in instance A's JWKS")
	}
	// Instance B learns it at its next reload (its background loop: within ReloadInterval).
	mustVerify(t, "instance B before its reload (bounded delay)", eb, tok.AccessToken)
	mustReload(t, rb)
	_, err = eb.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{})
	testkit.WantKind(t, "instance B after its reload, a token of the revoked key (cached before)", err, core.ErrTryRefresh)
	if contains(jwksKids(t, rb), k1) {
		t.Fatal("the revoked key is still in instance B's JWKS after its reload")
	}
	// The user refreshes once and is still signed in, on either instance.
	next, err := eb.RefreshTokens(ctx, tok.RefreshToken, testkit.RefreshMeta)
	if err != nil {
		t.Fatalf("refresh after the key revocation: %v", err)
	}
	if kid := tokenKid(t, next.AccessToken); kid != k2 {
		t.Fatalf("instance B signs with %s after its reload, want the replacement %s", kid, k2)
	}
	mustVerify(t, "instance A, the refreshed token", ea, next.AccessToken)
	row := snapshotKeys(t, s)[k1]
	if !row.Revoked || len(row.PrivateKey) != 0 {
		t.Fatalf("the revoked key's row: Revoked=%v, private key %d bytes", row.Revoked, len(row.PrivateKey))
	}
	if err := ra.RevokeKey(ctx, k1); err != nil {
		t.Fatalf("revoking a revoked key again: %v", err)
	}
	if err := ra.RevokeKey(ctx, "d-42"); !errors.Is(err, core.ErrUnknownKey) {
		t.Fatalf("RevokeKey of an unknown kid: %v, want ErrUnknownKey", err)
	}
	// Revoking the current key while a pending key exists still leaves a key that signs now.
	clock.Advance(ringInterval)
	mustReload(t, ra)
	if err := ra.RevokeKey(ctx, signingKid(t, ra)); err != nil {
		t.Fatal(err)
	}
	if _, err := ra.SigningKey(); err != nil {
		t.Fatalf("after revoking the current key during a signing delay: %v", err)
	}
	mustIssue(t, ea, "erin")
}

// testRingWrongKEK: an instance started with a wrong, missing or malformed KEK fails with a
// clear error and leaves every key untouched, even when a rotation is due.
func testRingWrongKEK(t *testing.T, s core.Store) {
	ctx := context.Background()
	clock := core.NewFakeClock(keyEpoch)
	kek := testkit.RandBytes(t, core.KEKSize)
	r := newRing(t, s, ringOptions(clock, kek, core.AlgEdDSA))
	if _, err := r.RotateNow(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * ringInterval) // a rotation is due: a ring that wrote would create a key
	before := snapshotKeys(t, s)

	wrong := testkit.RandBytes(t, core.KEKSize)
	_, err := core.NewStoreKeyRing(ctx, s, ringOptions(clock, wrong, core.AlgEdDSA))
	if !errors.Is(err, core.ErrKEK) || !strings.Contains(err.Error(), "wrong key-encryption key") ||
		!strings.Contains(err.Error(), core.KEKID(kek)) || !strings.Contains(err.Error(), "untouched") {
		t.Fatalf("start with a wrong KEK: %v; want ErrKEK naming the KEK the keys are sealed under", err)
	}
	sameKeys(t, "after a start with a wrong KEK", before, snapshotKeys(t, s))

	// Without a KEK in the options the ring refuses, even with RATCHET_KEK set: the
	// environment is read only by an explicit core.KEKFromEnv.
	t.Setenv(core.KEKEnv, base64.StdEncoding.EncodeToString(kek))
	_, err = core.NewStoreKeyRing(ctx, s, ringOptions(clock, nil, core.AlgEdDSA))
	if !errors.Is(err, core.ErrKEK) || !strings.Contains(err.Error(), "KeyRingOptions.KEK") ||
		!strings.Contains(err.Error(), core.KEKEnv) || !strings.Contains(err.Error(), core.KEKID(kek)) {
		t.Fatalf("start without a KEK: %v; want ErrKEK naming KeyRingOptions.KEK, %s and the stored keys' KEK", err, core.KEKEnv)
	}
	sameKeys(t, "after a start without a KEK", before, snapshotKeys(t, s))

	if _, err = core.NewStoreKeyRing(ctx, s, ringOptions(clock, kek[:16], core.AlgEdDSA)); !errors.Is(err, core.ErrKEK) {
		t.Fatalf("start with a 16-byte KEK: %v, want ErrKEK", err)
	}
	sameKeys(t, "after a start with a short KEK", before, snapshotKeys(t, s))

	// The right KEK, from the environment through core.KEKFromEnv, starts (and does the due
	// rotation).
	clock.Advance(ringInterval)
	other := newRing(t, s, ringOptions(clock, kek, core.AlgEdDSA)) // rotates
	before = snapshotKeys(t, s)
	t.Setenv(core.PreviousKEKsEnv, "")
	fromEnv, previous, err := core.KEKFromEnv()
	if err != nil || len(previous) != 0 {
		t.Fatalf("KEKFromEnv: %d previous KEKs, %v", len(previous), err)
	}
	r2 := newRing(t, s, ringOptions(clock, fromEnv, core.AlgEdDSA))
	if signingKid(t, r2) != signingKid(t, other) {
		t.Fatal("a ring with the KEK from RATCHET_KEK signs with another key")
	}
	sameKeys(t, "a start with the right KEK when nothing is due", before, snapshotKeys(t, s))
}

// testRingRewrap: RewrapKEK moves every live key to a new KEK; afterwards instances with only
// the new KEK start and sign, instances with only the old one fail without writing.
func testRingRewrap(t *testing.T, s core.Store) {
	ctx := context.Background()
	clock := core.NewFakeClock(keyEpoch)
	oldKEK, newKEK := testkit.RandBytes(t, core.KEKSize), testkit.RandBytes(t, core.KEKSize)
	r := newRing(t, s, ringOptions(clock, oldKEK, core.AlgRS256))
	if _, err := r.RotateNow(ctx); err != nil {
		t.Fatal(err)
	}
	before := snapshotKeys(t, s)
	if n, err := r.RewrapKEK(ctx, testkit.RandBytes(t, core.KEKSize), newKEK); !errors.Is(err, core.ErrKEK) || n != 0 {
		t.Fatalf("RewrapKEK from a KEK that sealed nothing: %d, %v; want 0 and ErrKEK", n, err)
	}
	sameKeys(t, "after a refused re-wrap", before, snapshotKeys(t, s))
	n, err := r.RewrapKEK(ctx, oldKEK, newKEK)
	if err != nil || n != 2 {
		t.Fatalf("RewrapKEK: %d, %v; want 2 keys re-wrapped", n, err)
	}
	after := snapshotKeys(t, s)
	for kid, b := range before {
		a := after[kid]
		if bytes.Equal(a.PrivateKey, b.PrivateKey) || !bytes.Equal(a.PublicKey, b.PublicKey) || a.Revoked {
			t.Fatalf("key %s after re-wrapping: private key unchanged or row damaged", kid)
		}
	}
	if n, err := r.RewrapKEK(ctx, oldKEK, newKEK); err != nil || n != 0 {
		t.Fatalf("RewrapKEK again: %d, %v; want 0, nil", n, err)
	}
	// New keys are sealed under the new KEK.
	kid, err := r.RotateNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(ringDelay)
	mustReload(t, r)
	if got := signingKid(t, r); got != kid {
		t.Fatalf("signing with %s, want %s", got, kid)
	}
	fresh := newRing(t, s, ringOptions(clock, newKEK, core.AlgRS256))
	if got := signingKid(t, fresh); got != kid {
		t.Fatalf("an instance with only the new KEK signs with %s, want %s", got, kid)
	}
	e1, e2 := newRingEngine(t, s, r, clock), newRingEngine(t, s, fresh, clock)
	mustVerify(t, "token of the new-KEK instance on the re-wrapping one", e1, mustIssue(t, e2, "frank").AccessToken)
	before = snapshotKeys(t, s)
	if _, err := core.NewStoreKeyRing(ctx, s, ringOptions(clock, oldKEK, core.AlgRS256)); !errors.Is(err, core.ErrKEK) {
		t.Fatalf("an instance with only the old KEK: %v, want ErrKEK", err)
	}
	sameKeys(t, "after a start with the old KEK", before, snapshotKeys(t, s))
	opts := ringOptions(clock, newKEK, core.AlgRS256)
	opts.PreviousKEKs = [][]byte{oldKEK}
	newRing(t, s, opts)
	// The same deployment from the environment (docs/KEYS.md, step 1 of a KEK rotation):
	// RATCHET_KEK=new, RATCHET_KEK_PREVIOUS=old, read by core.KEKFromEnv.
	t.Setenv(core.KEKEnv, base64.StdEncoding.EncodeToString(newKEK))
	t.Setenv(core.PreviousKEKsEnv, " ,"+base64.StdEncoding.EncodeToString(oldKEK))
	cur, previous, err := core.KEKFromEnv()
	if err != nil || !bytes.Equal(cur, newKEK) || len(previous) != 1 || !bytes.Equal(previous[0], oldKEK) {
		t.Fatalf("KEKFromEnv: current matches %v, %d previous KEKs, %v; want the new KEK and the old one", bytes.Equal(cur, newKEK), len(previous), err)
	}
	opts.KEK, opts.PreviousKEKs = cur, previous
	if got := signingKid(t, newRing(t, s, opts)); got != kid {
		t.Fatalf("an instance with the KEKs of the environment signs with %s, want %s", got, kid)
	}
}

// countingKeyStore counts ListKeys calls.
type countingKeyStore struct {
	core.KeyStore
	lists atomic.Int64
}

func (c *countingKeyStore) ListKeys(ctx context.Context) ([]core.StoredKey, error) {
	c.lists.Add(1)
	return c.KeyStore.ListKeys(ctx)
}

// testRingUnknownKid: a token whose kid an instance has not loaded makes it read the store,
// once per UnknownKidReloadLimit at most, and only for kids that could be ours.
func testRingUnknownKid(t *testing.T, s core.Store) {
	ctx := context.Background()
	clock := core.NewFakeClock(keyEpoch)
	kek := testkit.RandBytes(t, core.KEKSize)
	w := newRing(t, s, ringOptions(clock, kek, core.AlgEdDSA))
	ew := newRingEngine(t, s, w, clock)
	cs := &countingKeyStore{KeyStore: s.(core.KeyStore)}
	r, err := core.NewKeyStoreKeyRing(ctx, cs, ringOptions(clock, kek, core.AlgEdDSA))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	er := newRingEngine(t, s, r, clock)

	kid, err := w.RotateNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(ringDelay)
	mustReload(t, w)
	tok := mustIssue(t, ew, "grace")
	if tokenKid(t, tok.AccessToken) != kid {
		t.Fatal("the writer does not sign with its new key")
	}
	base := cs.lists.Load()
	mustVerify(t, "a token signed by a key the instance has not loaded", er, tok.AccessToken)
	if got := cs.lists.Load() - base; got != 1 {
		t.Fatalf("verifying a token with an unknown kid read the store %d times, want 1", got)
	}
	base = cs.lists.Load()
	now := clock.Now()
	for _, bogus := range []string{"s-abc", "d-1", "d-" + strconv.FormatInt(now.Add(24*time.Hour).UnixMilli(), 10),
		"d-x", "x", "d-" + strconv.FormatInt(now.Add(-30*24*time.Hour).UnixMilli(), 10)} {
		if _, ok := r.VerificationKey(bogus); ok {
			t.Fatalf("VerificationKey(%q) succeeded", bogus)
		}
	}
	for i := range 50 {
		if _, ok := r.VerificationKey("d-" + strconv.FormatInt(now.UnixMilli()-int64(i)-1, 10)); ok {
			t.Fatal("a made-up kid verified")
		}
	}
	if got := cs.lists.Load() - base; got != 0 {
		t.Fatalf("56 unknown kids within the rate limit read the store %d times, want 0", got)
	}
	clock.Advance(ringLimit)
	testkit.Concurrently(16, func(i int) { r.VerificationKey("d-" + strconv.FormatInt(now.UnixMilli()-int64(i)-100, 10)) })
	if got := cs.lists.Load() - base; got != 1 {
		t.Fatalf("16 concurrent unknown kids after the limit read the store %d times, want 1", got)
	}
}

// fakeRequest and fakeResponse drive Engine.ServeAuth without HTTP.
type fakeRequest struct{ method, path string }

func (r fakeRequest) Method() string           { return r.method }
func (r fakeRequest) Path() string             { return r.path }
func (r fakeRequest) Header(string) string     { return "" }
func (r fakeRequest) CookieHeader() string     { return "" }
func (r fakeRequest) Query() string            { return "" }
func (r fakeRequest) Body() io.Reader          { return strings.NewReader("") }
func (r fakeRequest) RemoteAddr() string       { return "127.0.0.1:1" }
func (r *fakeResponse) Header(n string) string { return r.h[n] }
func (r *fakeResponse) SetHeader(n, v string)  { r.h[n] = v }
func (r *fakeResponse) AddHeader(n, v string)  { r.h[n] = v }
func (r *fakeResponse) DelHeader(n string)     { delete(r.h, n) }
func (r *fakeResponse) Write(status int, ct string, body []byte) {
	r.status, r.body = status, body
	r.h["Content-Type"] = ct
}

type fakeResponse struct {
	h      map[string]string
	status int
	body   []byte
}

// testRingJWKS: the JWKS lists exactly the keys that verify (pending ones included), with
// public members only, and the route's max-age runs until the next key could sign.
func testRingJWKS(t *testing.T, s core.Store) {
	clock := core.NewFakeClock(keyEpoch.Add(10 * time.Minute))
	opts := ringOptions(clock, testkit.RandBytes(t, core.KEKSize), core.AlgRS256)
	opts.MaxJWKSAge = 2 * time.Hour
	r := newRing(t, s, opts)
	e := newRingEngine(t, s, r, clock)
	serve := func() (map[string]string, []map[string]any) {
		t.Helper()
		resp := &fakeResponse{h: map[string]string{}}
		if !e.ServeAuth(context.Background(), fakeRequest{"GET", "/auth/jwt/jwks.json"}, resp) || resp.status != 200 {
			t.Fatalf("JWKS route: %d %s", resp.status, resp.body)
		}
		var set struct{ Keys []map[string]any }
		if err := json.Unmarshal(resp.body, &set); err != nil {
			t.Fatal(err)
		}
		allowed := map[string]bool{"kty": true, "kid": true, "alg": true, "use": true, "crv": true, "x": true, "y": true, "n": true, "e": true}
		for _, k := range set.Keys {
			for m := range k {
				if !allowed[m] {
					t.Fatalf("JWKS key %v has member %q", k["kid"], m)
				}
			}
			if k["use"] != "sig" || k["alg"] != core.AlgRS256 || k["kty"] != "RSA" {
				t.Fatalf("JWKS key %v", k)
			}
		}
		return resp.h, set.Keys
	}
	wantMaxAge := func(h map[string]string, d time.Duration) {
		t.Helper()
		want := fmt.Sprintf("max-age=%d, must-revalidate", int(d/time.Second))
		if h["Cache-Control"] != want {
			t.Fatalf("at %v: Cache-Control %q, want %q", clock.Now(), h["Cache-Control"], want)
		}
	}
	k1 := signingKid(t, r)
	h, keys := serve()
	if len(keys) != 1 || keys[0]["kid"] != k1 {
		t.Fatalf("JWKS %v, want exactly %s", keys, k1)
	}
	// The first key's slot starts at keyEpoch: the next one is due an interval later and
	// signs a signing delay after that.
	wantMaxAge(h, keyEpoch.Add(ringInterval+ringDelay).Sub(clock.Now()))
	clock.Set(keyEpoch.Add(ringInterval - 30*time.Second))
	h, _ = serve()
	wantMaxAge(h, 90*time.Second)
	clock.Set(keyEpoch.Add(ringInterval + 10*time.Second)) // due, not created yet
	h, _ = serve()
	wantMaxAge(h, ringDelay)
	mustReload(t, r)
	h, keys = serve()
	k2 := keys[0]["kid"]
	if len(keys) != 2 || k2 == k1 || keys[1]["kid"] != k1 {
		t.Fatalf("JWKS after a rotation: %v, want the pending key first, then %s", keys, k1)
	}
	wantMaxAge(h, keyEpoch.Add(2*ringInterval+ringDelay).Sub(clock.Now()))
	clock.Set(keyInfo(t, r, k1).VerifyUntil)
	if _, keys = serve(); len(keys) != 1 || keys[0]["kid"] != k2 {
		t.Fatalf("JWKS after the old key's overlap: %v, want %v only", keys, k2)
	}
	// The default cap.
	r2 := newRing(t, s, ringOptions(clock, opts.KEK, core.AlgRS256))
	if got := r2.JWKSMaxAge(); got != core.DefaultMaxJWKSAge {
		t.Fatalf("JWKSMaxAge %v, want the default cap %v", got, core.DefaultMaxJWKSAge)
	}
}
