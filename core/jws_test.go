package core

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The differential tests hold our access-token verifier (jws.go, jsonscan.go, checkClaims)
// to golang-jwt's full parse, configured as the verifier was before it (ParseWithClaims into
// MapClaims with the same options and key binding, then the engine's own claim checks):
// whatever golang-jwt refuses we refuse, and what we accept it accepts with the same fields
// and the same claims map. Where we are stricter on purpose, the case says why, and the test
// checks that golang-jwt really accepts it (so the list of differences stays true):
//
//   - the header allow-list (alg, typ, kid, version), typ "JWT" and a valid kid: golang-jwt
//     reads any header;
//   - duplicate member names, at any depth: encoding/json keeps the last;
//   - invalid UTF-8: encoding/json replaces it with U+FFFD;
//   - CR or LF inside a segment: Go's base64 decoder skips them;
//   - size bounds: the token (16 KiB), the header (512 bytes decoded), the signature (1 KiB);
//   - date claims beyond ±2^53 seconds: golang-jwt converts them with an overflowing
//     float-to-int conversion;
//   - auth_time that is not a number: the old engine ignored it; we refuse it;
//   - with allowExpired, a claim of the wrong type: golang-jwt's error then also wraps
//     ErrTokenExpired only when exp failed too, and the old onlyExpired did not list
//     ErrInvalidType, so such a token passed; now only expiry may fail.

var diffNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

type diffKit struct {
	e            *Engine
	ed, es, rs   *SigningKey
	genuineClaim map[string]any // a genuine payload, to edit
}

func newDiffKit(t testing.TB, audience string) *diffKit {
	t.Helper()
	var keys []*SigningKey
	for _, alg := range []string{AlgEdDSA, AlgES256, AlgRS256} {
		k, err := GenerateKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	ring, err := NewStaticKeyRing(keys...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Config{Store: nopStore{}, Keys: ring, Clock: NewFakeClock(diffNow), Audience: audience,
		ClockSkew: 30 * time.Second, RevocationPollInterval: -1, Audit: AuditConfig{Disable: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	k := &diffKit{e: e, ed: keys[0], es: keys[1], rs: keys[2]}
	k.genuineClaim = map[string]any{
		"sub": "user-1", "exp": diffNow.Add(15 * time.Minute).Unix(), "iat": diffNow.Unix(),
		"auth_time": diffNow.Add(-time.Hour).Unix(), "sessionHandle": newHandle(),
		"refreshTokenHash1": strings.Repeat("a", 64), "parentRefreshTokenHash1": nil,
		"antiCsrfToken": nil, "tId": "public", "iss": e.cfg.Issuer,
	}
	if audience != "" {
		k.genuineClaim["aud"] = audience
	}
	return k
}

// header is our header for key k, as JSON.
func (k *diffKit) header(key *SigningKey) string {
	return string(appendJOSEHeader(nil, key))
}

// payload is the genuine payload with edits (a nil value deletes), as JSON.
func (k *diffKit) payload(edits map[string]any) string {
	m := map[string]any{}
	for n, v := range k.genuineClaim {
		m[n] = v
	}
	for n, v := range edits {
		if v == nil {
			delete(m, n)
		} else {
			m[n] = v
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// signText signs exactly the signing input given (base64url segments, or anything).
func signText(t testing.TB, key *SigningKey, input string) string {
	t.Helper()
	tok, err := appendJWSSignature([]byte(input), 0, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

// signJSON signs header and payload JSON texts as a compact JWS with key.
func signJSON(t testing.TB, key *SigningKey, header, payload string) string {
	t.Helper()
	return signText(t, key, b64.EncodeToString([]byte(header))+"."+b64.EncodeToString([]byte(payload)))
}

// referenceVerify is the verifier as it was: golang-jwt's ParseWithClaims into MapClaims,
// the same options and key binding, then the engine's checks. It has no precheck: that was
// ours, and the differences it made are the documented ones.
func referenceVerify(e *Engine, tok string, allowExpired bool) (jwt.MapClaims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{AlgEdDSA, AlgES256, AlgRS256}),
		jwt.WithStrictDecoding(),
		jwt.WithIssuer(e.cfg.Issuer),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(e.cfg.ClockSkew),
		jwt.WithTimeFunc(e.cfg.Clock.Now),
	}
	if !allowExpired {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if e.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(e.cfg.Audience))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, ok := e.cfg.Keys.VerificationKey(kid)
		if !ok {
			return nil, errors.New("unknown kid")
		}
		if t.Method == nil || t.Method.Alg() != k.Algorithm {
			return nil, errors.New("algorithm does not match key")
		}
		return k.Public, nil
	})
	if err != nil && !(allowExpired && referenceOnlyExpired(err)) {
		return nil, err
	}
	if s, ok := claims["sub"].(string); !ok || s == "" {
		return nil, errors.New("no sub")
	}
	if h, ok := claims["sessionHandle"].(string); !ok || !ValidHandle(h) {
		return nil, errors.New("no sessionHandle")
	}
	if h, ok := claims["refreshTokenHash1"].(string); !ok || len(h) != 64 {
		return nil, errors.New("no refreshTokenHash1")
	}
	if exp, err := claims.GetExpirationTime(); err != nil || exp == nil {
		return nil, errors.New("no exp")
	}
	return claims, nil
}

func referenceOnlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenUsedBeforeIssued, jwt.ErrTokenNotValidYet, jwt.ErrTokenInvalidId,
		jwt.ErrTokenInvalidSubject, jwt.ErrTokenInvalidAudience, jwt.ErrTokenRequiredClaimMissing} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}

// compareVerifiers runs both verifiers on tok and reports a disagreement that is not allowed:
// we accept what golang-jwt refuses, or we accept with other fields. It returns our refusal
// and the reference's error.
func compareVerifiers(t testing.TB, e *Engine, tok string, allowExpired bool) (*refusal, error) {
	t.Helper()
	v, r := e.checkAccessToken(tok, allowExpired, e.cfg.Clock.Now())
	ref, refErr := referenceVerify(e, tok, allowExpired)
	if r != nil {
		return r, refErr
	}
	if refErr != nil {
		t.Fatalf("we accept a token golang-jwt refuses (%v): %q", refErr, tok)
	}
	exp, _ := ref.GetExpirationTime()
	var authTime time.Time
	if at, ok := ref["auth_time"].(float64); ok {
		authTime = time.Unix(int64(at), 0)
	}
	if v.userID != ref["sub"] || v.handle != ref["sessionHandle"] || v.rth1 != ref["refreshTokenHash1"] ||
		!v.expiry.Equal(exp.Time) || !v.authTime.Equal(authTime) {
		t.Fatalf("fields differ: ours %q %q %q %v %v, golang-jwt %v", v.userID, v.handle, v.rth1, v.expiry, v.authTime, ref)
	}
	if !reflect.DeepEqual(v.claims(), map[string]any(ref)) {
		t.Fatalf("claims differ:\nours       %#v\ngolang-jwt %#v", v.claims(), ref)
	}
	return nil, nil
}

type diffCase struct {
	name         string
	tok          string
	allowExpired bool
	want         string // our refusal's check, "" to accept
	stricter     string // why golang-jwt accepts what we refuse ("" if it refuses too)
}

func TestVerifierMatchesGolangJWT(t *testing.T) {
	k := newDiffKit(t, "")
	ka := newDiffKit(t, "https://api.example")
	ed, es, rs := k.ed, k.es, k.rs
	hdr := k.header(ed)
	kaHdr := ka.header(ka.ed)
	pay := k.payload(nil)
	genuine := signJSON(t, ed, hdr, pay)
	parts := strings.Split(genuine, ".")
	seg := func(s string) string { return b64.EncodeToString([]byte(s)) }
	now := diffNow.Unix()
	_, foreign, _ := ed25519.GenerateKey(rand.Reader)
	foreignKey := &SigningKey{ID: ed.ID, Algorithm: AlgEdDSA, Private: foreign}
	foreignES, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	foreignESKey := &SigningKey{ID: ed.ID, Algorithm: AlgES256, Private: foreignES}
	hdrWith := func(extra string) string { // our header with members added
		return strings.TrimSuffix(hdr, "}") + "," + extra + "}"
	}
	edHdr := func(alg, kid string) string {
		return `{"alg":` + alg + `,"kid":` + kid + `,"typ":"JWT","version":"5"}`
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	var many strings.Builder
	for i := range 40 {
		fmt.Fprintf(&many, `,"c%d":%d`, i, i)
	}
	withMembers := func(extra string) string { return strings.TrimSuffix(pay, "}") + extra + "}" }
	nonCanonical := func(s string) string { // the same bytes with an unused low bit set
		if len(s)%4 != 2 {
			t.Fatalf("%q: want a segment with 4 unused bits", s)
		}
		last := strings.IndexByte(b64Alphabet, s[len(s)-1])
		return s[:len(s)-1] + string(b64Alphabet[last|1])
	}
	padTo := func(js string) string { // spaces until the base64url form has 4 unused bits
		for len(js)%3 != 1 {
			js += " "
		}
		return js
	}
	badLen := parts[1]
	for len(badLen)%4 != 1 {
		badLen += "A"
	}

	cases := []diffCase{
		// Accepted by both, with the same fields and claims.
		{name: "genuine EdDSA", tok: genuine},
		{name: "genuine ES256", tok: signJSON(t, es, k.header(es), pay)},
		{name: "genuine RS256", tok: signJSON(t, rs, k.header(rs), pay)},
		{name: "issued by the engine", tok: func() string {
			s, _, err := k.e.signAccess("ü<&>\"", newHandle(), strings.Repeat("b", 64), diffNow, map[string]any{
				"role": "admin", "n": 1.5, "big": 12345678901234567890.0, "nested": map[string]any{"x": []any{1.0, "y", nil, true}},
				"html": "<script>&</script>", "unicode": "snow ☃ \u2028",
			}, diffNow)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()},
		{name: "whitespace and order", tok: signJSON(t, ed, " {\n\"version\" : \"5\", \"typ\":\"JWT\",\t\"kid\":\""+ed.ID+"\", \"alg\":\"EdDSA\"} ", " "+pay+"\r\n")},
		{name: "escaped header names and values", tok: signJSON(t, ed, `{"\u0061lg":"EdDSA","kid":"`+ed.ID+`","typ":"\u004aWT","version":"5"}`, pay)},
		{name: "escaped payload names", tok: signJSON(t, ed, hdr, strings.Replace(pay, `"sub"`, `"s\u0075b"`, 1))},
		{name: "version a number", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT","version":5}`, pay)},
		{name: "no version", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT"}`, pay)},
		{name: "deep custom claim", tok: signJSON(t, ed, hdr, withMembers(`,"deep":`+deep))},
		{name: "40 custom claims", tok: signJSON(t, ed, hdr, withMembers(many.String()))},
		{name: "fractional exp", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": float64(now) + 600.75}))},
		{name: "exp within leeway", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": now - 10}))},
		{name: "iat within leeway", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iat": now + 10}))},
		{name: "nbf past", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"nbf": now - 10}))},
		{name: "nbf 0 is absent", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"nbf": 0}))},
		{name: "no iat", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iat": nil}))},
		{name: "no auth_time", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"auth_time": nil}))},
		{name: "no audience configured, aud a number", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"aud": 5}))},
		{name: "expired, allowExpired", allowExpired: true, tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": now - 3600}))},
		{name: "aud string", tok: signJSON(t, ka.ed, kaHdr, ka.payload(nil))},
		{name: "aud array", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": []any{"", "x", "https://api.example"}}))},

		// Refused by both.
		{name: "empty", tok: "", want: "size"},
		{name: "two segments", tok: parts[0] + "." + parts[1], want: "segments"},
		{name: "four segments", tok: genuine + ".x", want: "segments"},
		{name: "empty header", tok: "." + parts[1] + "." + parts[2], want: "segments"},
		{name: "empty payload", tok: parts[0] + ".." + parts[2], want: "segments"},
		{name: "empty signature", tok: parts[0] + "." + parts[1] + ".", want: "segments"},
		{name: "padding", tok: genuine + "==", want: "segments"},
		{name: "std base64", tok: parts[0] + "." + parts[1] + ".+/" + parts[2][2:], want: "segments"},
		{name: "space", tok: parts[0] + ". " + parts[1] + "." + parts[2], want: "segments"},
		{name: "NUL", tok: genuine + "\x00", want: "segments"},
		{name: "header non-canonical base64", tok: signText(t, ed, nonCanonical(seg(padTo(hdr)))+"."+parts[1]), want: "base64"},
		{name: "payload non-canonical base64", tok: signText(t, ed, parts[0]+"."+nonCanonical(seg(padTo(pay)))), want: "base64"},
		{name: "payload impossible length", tok: signText(t, ed, parts[0]+"."+badLen), want: "base64"},
		{name: "header not JSON", tok: signJSON(t, ed, `{"alg":"EdDSA",`, pay), want: "header json"},
		{name: "header array", tok: signJSON(t, ed, `[]`, pay), want: "header json"},
		{name: "payload not JSON", tok: signJSON(t, ed, hdr, `{"sub":`), want: "payload json"},
		{name: "payload trailing garbage", tok: signJSON(t, ed, hdr, pay+"x"), want: "payload json"},
		{name: "payload two values", tok: signJSON(t, ed, hdr, pay+pay), want: "payload json"},
		{name: "payload bad number", tok: signJSON(t, ed, hdr, withMembers(`,"n":01`)), want: "payload json"},
		{name: "payload bad escape", tok: signJSON(t, ed, hdr, withMembers(`,"n":"\x"`)), want: "payload json"},
		{name: "payload raw control character", tok: signJSON(t, ed, hdr, withMembers(",\"n\":\"a\tb\"")), want: "payload json"},
		{name: "payload array", tok: signJSON(t, ed, hdr, `[]`), want: "payload object"},
		{name: "payload null", tok: signJSON(t, ed, hdr, `null`), want: "payload object"},
		{name: "payload string", tok: signJSON(t, ed, hdr, `"x"`), want: "payload object"},
		{name: "alg none unsigned", tok: seg(edHdr(`"none"`, q(ed.ID))) + "." + parts[1] + ".", want: "segments"},
		{name: "alg none", tok: seg(edHdr(`"none"`, q(ed.ID))) + "." + parts[1] + "." + parts[2], want: "alg"},
		{name: "alg HS256", tok: func() string {
			in := seg(edHdr(`"HS256"`, q(ed.ID))) + "." + parts[1]
			sig, _ := jwt.SigningMethodHS256.Sign(in, []byte(ed.Private.Public().(ed25519.PublicKey)))
			return in + "." + b64.EncodeToString(sig)
		}(), want: "alg"},
		{name: "alg missing", tok: signJSON(t, ed, `{"kid":"`+ed.ID+`","typ":"JWT"}`, pay), want: "alg"},
		{name: "alg number", tok: signJSON(t, ed, edHdr(`1`, q(ed.ID)), pay), want: "alg"},
		{name: "alg lower case", tok: signJSON(t, ed, edHdr(`"eddsa"`, q(ed.ID)), pay), want: "alg"},
		{name: "signature non-canonical base64", tok: parts[0] + "." + parts[1] + "." + nonCanonical(parts[2]), want: "signature base64"},
		{name: "unknown kid", tok: signJSON(t, ed, edHdr(`"EdDSA"`, `"s-unknown"`), pay), want: "unknown kid"},
		{name: "ES256 under the EdDSA kid", tok: signJSON(t, foreignESKey, edHdr(`"ES256"`, q(ed.ID)), pay), want: "alg does not match key"},
		{name: "EdDSA header, ES256 kid", tok: signJSON(t, ed, edHdr(`"EdDSA"`, q(es.ID)), pay), want: "alg does not match key"},
		{name: "foreign key", tok: signJSON(t, foreignKey, hdr, pay), want: "signature"},
		{name: "payload edited", tok: parts[0] + "." + seg(k.payload(map[string]any{"sub": "attacker"})) + "." + parts[2], want: "signature"},
		{name: "signature truncated", tok: parts[0] + "." + parts[1] + "." + parts[2][:40], want: "signature"},
		{name: "wrong iss", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iss": "https://evil.example"})), want: "iss"},
		{name: "no iss", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iss": nil})), want: "iss"},
		{name: "empty iss", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iss": ""})), want: "iss"},
		{name: "numeric iss", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iss": 1})), want: "iss"},
		{name: "iat in the future", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iat": now + 31})), want: "iat"},
		{name: "iat string", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"iat": "now"})), want: "iat"},
		{name: "nbf null", tok: signJSON(t, ed, hdr, withMembers(`,"nbf":null`)), want: "nbf"},
		{name: "nbf in the future", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"nbf": now + 31})), want: "nbf"},
		{name: "nbf string", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"nbf": "x"})), want: "nbf"},
		{name: "no sub", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"sub": nil})), want: "sub"},
		{name: "empty sub", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"sub": ""})), want: "sub"},
		{name: "numeric sub", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"sub": 42})), want: "sub"},
		{name: "bad handle", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"sessionHandle": "../../x"})), want: "sessionHandle"},
		{name: "no handle", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"sessionHandle": nil})), want: "sessionHandle"},
		{name: "short hash", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"refreshTokenHash1": "abc"})), want: "refreshTokenHash1"},
		{name: "no hash", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"refreshTokenHash1": nil})), want: "refreshTokenHash1"},
		{name: "no exp", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": nil})), want: "exp"},
		{name: "no exp, allowExpired", allowExpired: true, tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": nil})), want: "exp"},
		{name: "exp 0", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": 0})), want: "exp"},
		{name: "exp string", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": "never"})), want: "exp"},
		{name: "exp null", tok: signJSON(t, ed, hdr, strings.Replace(pay, `"exp":`, `"exp":null,"x":`, 1)), want: "exp"},
		{name: "exp out of float range", tok: signJSON(t, ed, hdr, strings.Replace(pay, `"exp":`, `"exp":1e400,"x":`, 1)), want: "payload json"},
		{name: "custom claim out of float range", tok: signJSON(t, ed, hdr, withMembers(`,"x":-1e400`)), want: "payload json"},
		{name: "version out of float range", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT","version":1e999}`, pay), want: "header json"},
		{name: "expired", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": now - 31})), want: "expired"},
		{name: "at exp plus leeway", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": now - 30})), want: "expired"},
		{name: "expired, allowExpired, wrong iss", allowExpired: true, tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": now - 3600, "iss": "x"})), want: "iss"},
		{name: "aud missing", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": nil})), want: "aud"},
		{name: "aud wrong", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": "https://evil.example"})), want: "aud"},
		{name: "aud empty", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": ""})), want: "aud"},
		{name: "aud [\"\"]", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": []any{""}})), want: "aud"},
		{name: "aud []", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": []any{}})), want: "aud"},
		{name: "aud number", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": 5})), want: "aud"},
		{name: "aud with a number", tok: signJSON(t, ka.ed, kaHdr, ka.payload(map[string]any{"aud": []any{"https://api.example", 5}})), want: "aud"},

		// Refused by us only, on purpose.
		{name: "64 KiB token", tok: signJSON(t, ed, hdr, withMembers(`,"pad":"`+strings.Repeat("A", 64<<10)+`"`)), want: "size", stricter: "size bound"},
		{name: "header over 512 bytes", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT","version":"`+strings.Repeat("5", 600)+`"}`, pay), want: "header json", stricter: "header size bound"},
		{name: "LF inside the payload segment", tok: signText(t, ed, parts[0]+"."+parts[1][:10]+"\n"+parts[1][10:]), want: "segments", stricter: "base64 skips CR and LF"},
		{name: "CR inside the header segment", tok: signText(t, ed, parts[0][:5]+"\r"+parts[0][5:]+"."+parts[1]), want: "segments", stricter: "base64 skips CR and LF"},
		{name: "invalid UTF-8 in the payload", tok: signJSON(t, ed, hdr, withMembers(",\"n\":\"\xff\"")), want: "utf8", stricter: "UTF-8"},
		{name: "invalid UTF-8 in the header", tok: signJSON(t, ed, hdrWith("\"version2\":\"\xc3\""), pay), want: "utf8", stricter: "UTF-8"},
		{name: "duplicate alg", tok: signJSON(t, ed, `{"alg":"none","alg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT"}`, pay), want: "header json", stricter: "duplicates"},
		{name: "duplicate escaped header name", tok: signJSON(t, ed, `{"alg":"EdDSA","\u0061lg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT"}`, pay), want: "header json", stricter: "duplicates"},
		{name: "duplicate inside version", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"JWT","version":{"a":1,"a":2}}`, pay), want: "header json", stricter: "duplicates"},
		{name: "duplicate sub", tok: signJSON(t, ed, hdr, strings.Replace(pay, `{`, `{"sub":"attacker",`, 1)), want: "payload json", stricter: "duplicates"},
		{name: "duplicate escaped sub", tok: signJSON(t, ed, hdr, strings.Replace(pay, `{`, `{"s\u0075b":"attacker",`, 1)), want: "payload json", stricter: "duplicates"},
		{name: "duplicate nested", tok: signJSON(t, ed, hdr, withMembers(`,"x":[{"a":1,"b":{"c":1,"c":2}}]`)), want: "payload json", stricter: "duplicates"},
		{name: "duplicate deep", tok: signJSON(t, ed, hdr, withMembers(`,"x":`+strings.Replace(deep, `1`, `{"d":1,"d":1}`, 1))), want: "payload json", stricter: "duplicates"},
		{name: "duplicate among 40", tok: signJSON(t, ed, hdr, withMembers(many.String()+`,"c3":0`)), want: "payload json", stricter: "duplicates"},
		{name: "header member crit", tok: signJSON(t, ed, hdrWith(`"crit":["x"]`), pay), want: "header member", stricter: "header allow-list"},
		{name: "header member jwk", tok: signJSON(t, ed, hdrWith(`"jwk":{"kty":"OKP"}`), pay), want: "header member", stricter: "header allow-list"},
		{name: "header member jku", tok: signJSON(t, ed, hdrWith(`"jku":"http://127.0.0.1:1/"`), pay), want: "header member", stricter: "header allow-list"},
		{name: "header member x5u", tok: signJSON(t, ed, hdrWith(`"x5u":"http://127.0.0.1:1/"`), pay), want: "header member", stricter: "header allow-list"},
		{name: "header member x5c", tok: signJSON(t, ed, hdrWith(`"x5c":["MIIB"]`), pay), want: "header member", stricter: "header allow-list"},
		{name: "header member cty", tok: signJSON(t, ed, hdrWith(`"cty":"JWT"`), pay), want: "header member", stricter: "header allow-list"},
		{name: "header member zip", tok: signJSON(t, ed, hdrWith(`"zip":"DEF"`), pay), want: "header member", stricter: "header allow-list"},
		{name: "typ missing", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`"}`, pay), want: "typ", stricter: "typ must be JWT"},
		{name: "typ at+jwt", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"at+jwt"}`, pay), want: "typ", stricter: "typ must be JWT"},
		{name: "typ jwt", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":"jwt"}`, pay), want: "typ", stricter: "typ must be JWT"},
		{name: "typ number", tok: signJSON(t, ed, `{"alg":"EdDSA","kid":"`+ed.ID+`","typ":1}`, pay), want: "typ", stricter: "typ must be JWT"},
		{name: "kid missing", tok: signJSON(t, ed, `{"alg":"EdDSA","typ":"JWT"}`, pay), want: "kid"},
		{name: "kid path", tok: signJSON(t, ed, edHdr(`"EdDSA"`, `"../../dev/null"`), pay), want: "kid"},
		{name: "kid NUL", tok: signJSON(t, ed, edHdr(`"EdDSA"`, q(ed.ID+"\x00")), pay), want: "kid"},
		{name: "kid 65 characters", tok: signJSON(t, ed, edHdr(`"EdDSA"`, q(strings.Repeat("a", 65))), pay), want: "kid"},
		{name: "kid number", tok: signJSON(t, ed, edHdr(`"EdDSA"`, `1`), pay), want: "kid"},
		{name: "auth_time a string", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"auth_time": "x"})), want: "auth_time", stricter: "auth_time must be a number"},
		{name: "auth_time huge", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"auth_time": 1e300})), want: "auth_time", stricter: "date range"},
		{name: "nbf huge negative", tok: signJSON(t, ed, hdr, k.payload(map[string]any{"nbf": -1e300})), want: "nbf", stricter: "date range"},
		{name: "exp huge, allowExpired", allowExpired: true, tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": 1e300})), want: "exp", stricter: "date range"},
		{name: "expired, allowExpired, iat a string", allowExpired: true, tok: signJSON(t, ed, hdr, k.payload(map[string]any{"exp": now - 3600, "iat": "x"})), want: "iat", stricter: "only expiry may fail"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := k.e
			if strings.HasPrefix(c.name, "aud ") {
				e = ka.e
			}
			r, refErr := compareVerifiers(t, e, c.tok, c.allowExpired)
			got := ""
			if r != nil {
				got = r.check
			}
			if got != c.want {
				t.Fatalf("refusal %q, want %q (golang-jwt: %v)", got, c.want, refErr)
			}
			switch {
			case c.want == "":
			case c.stricter == "" && refErr == nil:
				t.Fatalf("golang-jwt accepts it too: mark it stricter or fix the case")
			case c.stricter != "" && refErr != nil:
				t.Fatalf("marked stricter (%s) but golang-jwt refuses it too: %v", c.stricter, refErr)
			}
			// The error kind follows the refusal's class.
			if r != nil {
				_, err := e.verifyAccessUncached(c.tok, c.allowExpired)
				if want := map[bool]error{true: ErrUnauthorised, false: ErrTryRefresh}[r.malformed]; !errors.Is(err, want) {
					t.Fatalf("error %v, want kind %v", err, want)
				}
			}
		})
	}
}

// b64Alphabet is base64url's alphabet in value order (for the non-canonical cases).
const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// FuzzVerifierMatchesGolangJWT signs arbitrary header and payload texts with the engine's key
// (so the fuzzer reaches the claim checks, which an unsigned input never does) and compares
// the two verifiers; mode picks allowExpired and, in its upper bits, a raw token instead.
func FuzzVerifierMatchesGolangJWT(f *testing.F) {
	k := newDiffKit(f, "")
	hdr, pay := k.header(k.ed), k.payload(nil)
	f.Add(hdr, pay, uint8(0))
	f.Add(hdr, pay, uint8(1))
	f.Add(`{"alg":"EdDSA","alg":"EdDSA","kid":"`+k.ed.ID+`","typ":"JWT"}`, pay, uint8(0))
	f.Add(hdr, strings.Replace(pay, `"sub"`, `"s\u0075b"`, 1), uint8(0))
	f.Add(hdr, k.payload(map[string]any{"exp": 1e300}), uint8(1))
	f.Add(hdr, k.payload(map[string]any{"aud": []any{"a", 1}, "nbf": 1.5}), uint8(0))
	f.Add(`{"alg":"EdDSA","kid":"`+k.ed.ID+`","typ":"JWT","version":{"a":[1,{"b":2}]}}`, pay, uint8(0))
	f.Add(hdr+"."+b64.EncodeToString([]byte(pay)), "", uint8(2))
	f.Fuzz(func(t *testing.T, header, payload string, mode uint8) {
		allowExpired := mode&1 == 1
		var tok string
		if mode&2 == 2 { // header is a raw token
			tok = header
		} else {
			tok = signJSON(t, k.ed, header, payload)
		}
		r, refErr := compareVerifiers(t, k.e, tok, allowExpired)
		if r == nil || refErr != nil {
			return
		}
		// We refuse what golang-jwt accepts: only for the documented reasons.
		switch r.check {
		case "size", "segments", "utf8", "header json", "payload json", "header member", "typ", "kid", "auth_time":
			return
		case "iat", "nbf", "exp", "iss", "sub", "sessionHandle", "refreshTokenHash1":
			if allowExpired { // a wrong type, hidden by the old onlyExpired
				return
			}
			var m map[string]any
			_ = json.Unmarshal([]byte(payload), &m)
			if f, ok := m[r.check].(float64); ok && math.Abs(f) > maxNumericDate {
				return // a date beyond ±2^53 s
			}
		}
		t.Fatalf("refused %q (%s) that golang-jwt accepts", tok, r.check)
	})
}

// FuzzValidJSON holds the scanner to encoding/json: the same documents decode (json.Unmarshal
// into any: valid grammar, numbers within float64) without duplicate members, and the member iterator sees an object's members as
// json.Unmarshal does.
func FuzzValidJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"a":2}`, `{"a":{"b":[1,2,{"c":null}]},"\u0061":1}`, `[1,"x",true,false,null,-0.5e+3]`,
		` {"a" : "\"\\\/\b\f\n\r\t\u00e9"} `, `{"a":01}`, `"\ud800"`, strings.Repeat("[", 40) + strings.Repeat("]", 40), `1 2`, "\"\x01\"", `1E700`, `[-1e-400]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		b := []byte(doc)
		var decoded any
		want := json.Unmarshal(b, &decoded) == nil && !hasDuplicateMembers(b)
		if got := validJSON(doc); got != want {
			t.Fatalf("validJSON(%q) = %v, encoding/json says %v", doc, got, want)
		}
		if !want {
			return
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil || m == nil {
			if _, ok := newMemberIter(doc); ok {
				t.Fatalf("iterator took %q for an object", doc)
			}
			return
		}
		it, ok := newMemberIter(doc)
		if !ok {
			t.Fatalf("iterator refused the object %q", doc)
		}
		n := 0
		for {
			name, value, more := it.next()
			if !more {
				break
			}
			n++
			var v any
			if err := json.Unmarshal([]byte(value), &v); err != nil || !reflect.DeepEqual(v, m[name]) {
				t.Fatalf("member %q = %q, json.Unmarshal says %#v", name, value, m[name])
			}
		}
		if n != len(m) {
			t.Fatalf("iterator saw %d members, json.Unmarshal %d", n, len(m))
		}
	})
}

func TestJSONNumberMatchesParseFloat(t *testing.T) {
	for _, raw := range []string{"0", "-0", "1", "-1", "1893456000", "-1893456000", "999999999999999", "-99999999999999",
		"9999999999999999", "1.5", "1e3", "-", "", "x", "1x", "12345678901234567890"} {
		want, err := strconv.ParseFloat(raw, 64)
		wantOK := err == nil && raw != "" && (raw[0] == '-' || isDigit(raw[0]))
		got, ok := jsonNumber(raw)
		if ok != wantOK || ok && (got != want || math.Signbit(got) != math.Signbit(want)) {
			t.Errorf("jsonNumber(%q) = %v, %v; ParseFloat %v, %v", raw, got, ok, want, err)
		}
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "user-1", "a\"b", `a\b`, "<&>", "é", "\u2028", "\x00\x1f\x7f", "\xff", "snow ☃"} {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	}
}

// The token the engine signs decodes, in golang-jwt and in the front-token, to exactly the
// claims the old encoding gave (a MapClaims marshalled and round-tripped through JSON).
func TestSignedPayloadMatchesMapClaimsEncoding(t *testing.T) {
	k := newDiffKit(t, "https://api.example")
	custom := map[string]any{"role": "admin", "n": 1.5, "nested": map[string]any{"x": []any{1.0, "y"}}, "html": "<&>"}
	handle, rth1 := newHandle(), strings.Repeat("c", 64)
	tok, v, err := k.e.signAccess("user-é", handle, rth1, diffNow.Add(-time.Hour), custom, diffNow)
	if err != nil {
		t.Fatal(err)
	}
	old := jwt.MapClaims{}
	for n, x := range custom {
		old[n] = x
	}
	for n, x := range map[string]any{"sub": "user-é", "exp": diffNow.Add(k.e.cfg.AccessTTL).Unix(), "iat": diffNow.Unix(),
		"sessionHandle": handle, "refreshTokenHash1": rth1, "parentRefreshTokenHash1": nil, "antiCsrfToken": nil,
		"tId": "public", "iss": k.e.cfg.Issuer, "auth_time": diffNow.Add(-time.Hour).Unix(), "aud": "https://api.example"} {
		old[n] = x
	}
	raw, _ := json.Marshal(old)
	var want map[string]any
	_ = json.Unmarshal(raw, &want)

	parsed := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, parsed); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(map[string]any(parsed), want) || !reflect.DeepEqual(v.claims(), want) {
		t.Fatalf("payload\n%v\nwant\n%v", parsed, want)
	}
	ft, err := DecodeFrontToken(frontToken(v))
	if err != nil || ft.UID != "user-é" || ft.ATE != v.expiry.UnixMilli() || !reflect.DeepEqual(ft.UP, want) {
		t.Fatalf("front-token %+v, %v", ft, err)
	}
	if len(raw) != len(v.payload) {
		t.Errorf("payload is %d bytes, the MapClaims encoding %d: the same members, so the same length", len(v.payload), len(raw))
	}
	// A protected name in the custom payload never reaches the token twice.
	tok, _, err = k.e.signAccess("user-1", handle, rth1, diffNow, map[string]any{"sub": "attacker", "x": 1}, diffNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.e.verifyAccessUncached(tok, false); err != nil {
		t.Fatalf("a payload with a protected name made an unverifiable token: %v", err)
	}
}
