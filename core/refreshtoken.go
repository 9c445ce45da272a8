package core

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Refresh-token layout: <handle 22>.<body 43>.<tag 22>, each field base64url without padding.
// See docs/ROTATION.md.
const (
	handleBytes = 16
	bodyBytes   = 32
	tagBytes    = 16
	secretBytes = 32

	handleLen       = 22 // base64url(16 bytes)
	bodyLen         = 43 // base64url(32 bytes)
	tagLen          = 22 // base64url(16 bytes)
	refreshTokenLen = handleLen + 1 + bodyLen + 1 + tagLen
)

var b64 = base64.RawURLEncoding

// refreshToken is a parsed or derived refresh token. It is a value: parsing, deriving and
// encoding one allocate only its string form.
type refreshToken struct {
	handle string
	body   [bodyBytes]byte
	tag    [tagBytes]byte
	s      string // the token as the client holds it
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ panics itself).
		panic("ratchet: crypto/rand failed: " + err.Error())
	}
	return b
}

// newHandle returns a random public session id.
func newHandle() string {
	var b [handleBytes]byte
	_, _ = rand.Read(b[:]) // never fails (see randomBytes)
	return b64.EncodeToString(b[:])
}

// ValidHandle reports whether h has the exact shape of a session handle. Use it to reject
// attacker-chosen ids before they reach a store.
func ValidHandle(h string) bool {
	var b [handleBytes]byte
	return len(h) == handleLen && decodeField(b[:], h)
}

func isB64URLByte(c byte) bool { return b64URLAlphabet[c] }

// b64URLAlphabet is a lookup table: the token scans on the hot path test every byte.
var b64URLAlphabet = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	return t
}()

// decodeField decodes s, canonical unpadded base64url, into exactly dst. The decoder skips
// CR and LF, so the alphabet is checked first: every byte must count.
func decodeField(dst []byte, s string) bool {
	if b64.DecodedLen(len(s)) != len(dst) {
		return false
	}
	var src [bodyLen]byte // the longest field
	if len(s) > len(src) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isB64URLByte(s[i]) {
			return false
		}
		src[i] = s[i]
	}
	n, err := b64.Strict().Decode(dst, src[:len(s)])
	return err == nil && n == len(dst)
}

// parseRefreshToken checks shape and alphabet only; the tag is verified against the session's
// secret by the caller.
func parseRefreshToken(s string) (refreshToken, bool) {
	var t refreshToken
	if len(s) != refreshTokenLen || s[handleLen] != '.' || s[handleLen+1+bodyLen] != '.' {
		return t, false
	}
	var hb [handleBytes]byte
	if !decodeField(hb[:], s[:handleLen]) ||
		!decodeField(t.body[:], s[handleLen+1:handleLen+1+bodyLen]) ||
		!decodeField(t.tag[:], s[handleLen+1+bodyLen+1:]) {
		return refreshToken{}, false
	}
	t.handle, t.s = s[:handleLen], s
	return t, true
}

func computeTag(secret []byte, handle string, body *[bodyBytes]byte) (tag [tagBytes]byte) {
	var hb [handleLen]byte
	copy(hb[:], handle)
	sum := hmacSHA256(secret, "rt-tag", hb[:len(handle)], body[:])
	copy(tag[:], sum[:])
	return tag
}

// validTag verifies the integrity tag in constant time.
func (t *refreshToken) validTag(secret []byte) bool {
	want := computeTag(secret, t.handle, &t.body)
	return hmac.Equal(t.tag[:], want[:])
}

// child derives the next token of the lineage: the same parent always gives the same child.
func (t *refreshToken) child(secret []byte) refreshToken {
	c := refreshToken{handle: t.handle, body: hmacSHA256(secret, "rt-next", t.body[:], nil)}
	c.tag = computeTag(secret, c.handle, &c.body)
	c.s = c.encode()
	return c
}

// newRootToken starts a lineage for handle.
func newRootToken(secret []byte, handle string) refreshToken {
	t := refreshToken{handle: handle}
	_, _ = rand.Read(t.body[:]) // never fails (see randomBytes)
	t.tag = computeTag(secret, handle, &t.body)
	t.s = t.encode()
	return t
}

func (t *refreshToken) encode() string {
	var b [refreshTokenLen]byte
	copy(b[:], t.handle)
	b[handleLen] = '.'
	b64.Encode(b[handleLen+1:], t.body[:])
	b[handleLen+1+bodyLen] = '.'
	b64.Encode(b[handleLen+1+bodyLen+1:], t.tag[:])
	return string(b[:])
}

func (t refreshToken) String() string { return t.s }

// sum256 hashes a string of at most a refresh token's length without copying it to the heap.
func sum256(s string) [sha256.Size]byte {
	var buf [refreshTokenLen]byte
	if len(s) <= len(buf) {
		return sha256.Sum256(buf[:copy(buf[:], s)])
	}
	return sha256.Sum256([]byte(s))
}

// hash1 is the access token's refreshTokenHash1: lowercase hex SHA-256 of the token string.
func hash1(token string) string {
	s := sum256(token)
	return hex.EncodeToString(s[:])
}

// hash2FromHash1 is what the store keeps: SHA-256 of hash1.
func hash2FromHash1(h1 string) string {
	s := sum256(h1)
	return hex.EncodeToString(s[:])
}

// hash2 is hash2FromHash1(hash1(token)), allocating only the result.
func hash2(token string) string {
	s := sum256(token)
	var h1 [2 * sha256.Size]byte
	hex.Encode(h1[:], s[:])
	s = sha256.Sum256(h1[:])
	return hex.EncodeToString(s[:])
}
