package adaptertest

// The token forger the JWT attacks use: compact JWS built from raw JSON (so duplicates,
// non-canonical encodings and odd members survive), signed with the server's key, an
// attacker's key, or an HMAC over arbitrary bytes.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ratchetauth/ratchet/core"
)

// forger mints attack tokens against one victim session.
type forger struct {
	s       *suite
	key     *core.SigningKey // the server's signing key, from the fixture's key ring
	pub     crypto.PublicKey // the same key's public half, as the JWKS route publishes it
	jwk     json.RawMessage  // that key's JWKS entry, byte for byte
	victim  *agent
	genuine string         // the victim's access token
	claims  map[string]any // its payload
}

func b64url(raw []byte) string { return base64.RawURLEncoding.EncodeToString(raw) }

// newForger signs a victim in (header mode) and learns the server's key two ways: the
// private key from the fixture, the public key from the JWKS route. It stops the test unless
// both agree with a genuine token, so that no attack below can pass because the forger is
// broken.
func (s *suite) newForger(t *testing.T) *forger {
	t.Helper()
	f := &forger{s: s, victim: s.signIn(t, AliceEmail, headerMode)}
	f.genuine = f.victim.access
	f.claims = jwtPart(t, f.genuine, 1)
	hdr := jwtPart(t, f.genuine, 0)
	key, err := s.e.Config().Keys.SigningKey()
	if err != nil {
		t.Fatalf("fixture key ring: %v", err)
	}
	if key.ID != hdr["kid"] || key.Algorithm != hdr["alg"] {
		t.Fatalf("the fixture's signing key (%s, %s) did not sign the victim's token (%v, %v)", key.ID, key.Algorithm, hdr["kid"], hdr["alg"])
	}
	f.key = key
	f.jwk, f.pub = s.publishedKey(t, key.ID)
	parts := strings.Split(f.genuine, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := jwt.GetSigningMethod(key.Algorithm).Verify(parts[0]+"."+parts[1], sig, f.pub); err != nil {
		t.Fatalf("the JWKS key does not verify a genuine token: %v", err)
	}
	return f
}

// publishedKey returns the JWKS entry for kid and the public key it describes.
func (s *suite) publishedKey(t *testing.T, kid string) (json.RawMessage, crypto.PublicKey) {
	t.Helper()
	r := s.c.do(t, "GET", "/auth/jwt/jwks.json", nil)
	mustStatus(t, r, 200)
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	for _, raw := range doc.Keys {
		var k struct{ Kty, Kid, Crv, X, Y, N, E string }
		if err := json.Unmarshal(raw, &k); err != nil {
			t.Fatalf("JWKS entry: %v", err)
		}
		if k.Kid != kid {
			continue
		}
		dec := func(v string) []byte {
			b, err := base64.RawURLEncoding.DecodeString(v)
			if err != nil {
				t.Fatalf("JWKS member of %s is not base64url: %v", kid, err)
			}
			return b
		}
		switch k.Kty {
		case "OKP":
			return raw, ed25519.PublicKey(dec(k.X))
		case "EC":
			return raw, &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(dec(k.X)), Y: new(big.Int).SetBytes(dec(k.Y))}
		case "RSA":
			return raw, &rsa.PublicKey{N: new(big.Int).SetBytes(dec(k.N)), E: int(new(big.Int).SetBytes(dec(k.E)).Int64())}
		}
		t.Fatalf("JWKS entry %s has kty %q", kid, k.Kty)
	}
	t.Fatalf("kid %s is not in the JWKS", kid)
	return nil, nil
}

// ourHeader is the header the server itself writes, with edits applied (nil deletes).
func (f *forger) ourHeader(edits map[string]any) map[string]any {
	h := map[string]any{"alg": f.key.Algorithm, "typ": "JWT", "kid": f.key.ID, "version": "5"}
	for k, v := range edits {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	return h
}

// payload is the victim's genuine payload with edits applied (nil deletes).
func (f *forger) payload(edits map[string]any) map[string]any {
	p := make(map[string]any, len(f.claims))
	for k, v := range f.claims {
		p[k] = v
	}
	for k, v := range edits {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

// seg encodes a JSON value (or raw JSON text given as a string of JSON) as a segment.
func seg(t *testing.T, v any) string {
	t.Helper()
	if raw, ok := v.(rawJSON); ok {
		return b64url([]byte(raw))
	}
	return b64url(jsonBody(t, v))
}

// rawJSON is JSON text used as is, for documents encoding/json cannot produce (duplicates).
type rawJSON string

// signWith signs hSeg.pSeg with a golang-jwt method and key and returns the compact token.
func signWith(t *testing.T, alg string, key any, hSeg, pSeg string) string {
	t.Helper()
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		t.Fatalf("no signing method %q", alg)
	}
	sig, err := m.Sign(hSeg+"."+pSeg, key)
	if err != nil {
		t.Fatalf("signing with %s: %v", alg, err)
	}
	return hSeg + "." + pSeg + "." + b64url(sig)
}

// hmacToken MACs hSeg.pSeg with secret under HS256/384/512; any secret, even an empty one.
func hmacToken(alg string, secret []byte, hSeg, pSeg string) string {
	var h func() hash.Hash
	switch alg {
	case "HS384":
		h = sha512.New384
	case "HS512":
		h = sha512.New
	default:
		h = sha256.New
	}
	m := hmac.New(h, secret)
	m.Write([]byte(hSeg + "." + pSeg))
	return hSeg + "." + pSeg + "." + b64url(m.Sum(nil))
}

// ours signs header and payload (values or rawJSON) with the server's own key.
func (f *forger) ours(t *testing.T, header, payload any) string {
	t.Helper()
	return signWith(t, f.key.Algorithm, f.key.Private, seg(t, header), seg(t, payload))
}

// oursSegs signs already-encoded segments with the server's own key.
func (f *forger) oursSegs(t *testing.T, hSeg, pSeg string) string {
	t.Helper()
	return signWith(t, f.key.Algorithm, f.key.Private, hSeg, pSeg)
}

// nonCanonical sets the unused trailing bits of a base64url segment. Lenient decoders map the
// result to the same bytes; ok is false when the segment has no spare bits (len%4 == 0).
func nonCanonical(segment string) (string, bool) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	if len(segment)%4 == 0 || len(segment)%4 == 1 {
		return segment, false
	}
	i := strings.IndexByte(alphabet, segment[len(segment)-1])
	if i < 0 || i&1 == 1 {
		return segment, false // not canonical to begin with
	}
	return segment[:len(segment)-1] + string(alphabet[i|1]), true
}

// spareBits returns JSON text equivalent to v whose base64url encoding has spare trailing
// bits, by adding insignificant whitespace.
func spareBits(t *testing.T, v any) rawJSON {
	t.Helper()
	raw := string(jsonBody(t, v))
	for len(raw)%3 == 0 {
		raw = "{ " + raw[1:]
	}
	return rawJSON(raw)
}

// assertion helpers for tokens ------------------------------------------------------------

// tokenRoutes are where a forged access token is tried: stateless, strict and optional
// verification, and sign-out (which would revoke the victim if the token were accepted).
var tokenRoutes = []struct{ method, path string }{
	{"GET", "/api/me"},
	{"GET", "/api/me/strict"},
	{"GET", "/api/optional"},
	{"POST", "/auth/signout"},
}

// expectTokenRejected sends tok as a Bearer token and as the access cookie to every token
// route and requires the uniform 401 each time. Cookie requests carry rid and the website's
// Origin, so a CSRF refusal cannot stand in for the token check.
func (s *suite) expectTokenRejected(t *testing.T, what, tok string) {
	t.Helper()
	s.expectTokenRejectedVia(t, what, tok, "bearer", "cookie")
}

// expectTokenRejectedVia is expectTokenRejected for the given transports only.
func (s *suite) expectTokenRejectedVia(t *testing.T, what, tok string, vias ...string) {
	t.Helper()
	for _, rt := range tokenRoutes {
		for _, via := range vias {
			opts := []reqOpt{withBearer(tok)}
			if via == "cookie" {
				opts = []reqOpt{withCookieHeader(s.accessCookie + "=" + tok), withRID("session"), withOrigin(WebsiteOrigin)}
			}
			if len(tok) > 3<<10 {
				// Servers with a 4 KiB header buffer (fasthttp) refuse it before the library:
				// with 431/400, or, in older versions, by closing the connection. Either is a
				// refusal; the suite checks afterwards that the server still serves.
				r, err := s.c.send(rt.method, rt.path, nil, opts...)
				if err != nil {
					t.Logf("%s via %s %s: transport error %v (the server refused to read it)", what, via, rt.path, err)
					continue
				}
				s.expectRejectedOrTooLarge(t, r, what+" via "+via)
				continue
			}
			r := s.c.do(t, rt.method, rt.path, nil, opts...)
			if via == "bearer" && rt.path == "/api/optional" && r.Status == 200 && !looksLikeCompactJWS(tok) {
				// An Authorization value that is not shaped like a JWS is not ours and is
				// ignored, so the optional route sees no token at all: anonymous, not a session.
				if string(r.Body) != string(s.fx.Anonymous()) {
					t.Errorf("%s via bearer: the optional route returned a session: %s", what, r)
				}
				continue
			}
			s.expectRejected(t, r, what+" via "+via)
		}
	}
}

// expectTokenAccepted is the control: tok must work on the stateless and the strict route.
func (s *suite) expectTokenAccepted(t *testing.T, what, tok string) {
	t.Helper()
	for _, path := range []string{"/api/me", "/api/me/strict"} {
		if r := s.c.do(t, "GET", path, nil, withBearer(tok)); r.Status != 200 {
			t.Fatalf("control %q: a token minted like the attacks but without their defect is refused, "+
				"so the attacks below would prove nothing: %s", what, r)
		}
	}
}

// looksLikeCompactJWS: three base64url segments, the shape the server tries as a Bearer
// access token.
func looksLikeCompactJWS(tok string) bool {
	if strings.Count(tok, ".") != 2 {
		return false
	}
	for _, c := range tok {
		if !(c == '.' || c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
