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

// refreshToken is a parsed refresh token.
type refreshToken struct {
	handle string
	body   []byte
	tag    []byte
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
func newHandle() string { return b64.EncodeToString(randomBytes(handleBytes)) }

// ValidHandle reports whether h has the exact shape of a session handle. Use it to reject
// attacker-chosen ids before they reach a store.
func ValidHandle(h string) bool {
	if len(h) != handleLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !isB64URLByte(h[i]) {
			return false
		}
	}
	_, err := b64.Strict().DecodeString(h)
	return err == nil
}

func isB64URLByte(c byte) bool { return b64URLAlphabet[c] }

// b64URLAlphabet is a lookup table: the token scans on the hot path test every byte.
var b64URLAlphabet = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	return t
}()

// parseRefreshToken checks shape and alphabet only; the tag is verified against the session's
// secret by the caller.
func parseRefreshToken(s string) (*refreshToken, bool) {
	if len(s) != refreshTokenLen || s[handleLen] != '.' || s[handleLen+1+bodyLen] != '.' {
		return nil, false
	}
	h := s[:handleLen]
	if !ValidHandle(h) {
		return nil, false
	}
	// The decoder skips CR and LF, so check the alphabet first: every byte must count.
	for i := handleLen + 1; i < len(s); i++ {
		if i != handleLen+1+bodyLen && !isB64URLByte(s[i]) {
			return nil, false
		}
	}
	strict := b64.Strict()
	body, err := strict.DecodeString(s[handleLen+1 : handleLen+1+bodyLen])
	if err != nil || len(body) != bodyBytes {
		return nil, false
	}
	tag, err := strict.DecodeString(s[handleLen+1+bodyLen+1:])
	if err != nil || len(tag) != tagBytes {
		return nil, false
	}
	return &refreshToken{handle: h, body: body, tag: tag}, true
}

func mac(secret []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, secret)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func computeTag(secret []byte, handle string, body []byte) []byte {
	return mac(secret, []byte("rt-tag"), []byte(handle), body)[:tagBytes]
}

// validTag verifies the integrity tag in constant time.
func (t *refreshToken) validTag(secret []byte) bool {
	return hmac.Equal(t.tag, computeTag(secret, t.handle, t.body))
}

// child derives the next token of the lineage: the same parent always gives the same child.
func (t *refreshToken) child(secret []byte) *refreshToken {
	body := mac(secret, []byte("rt-next"), t.body)
	return &refreshToken{handle: t.handle, body: body, tag: computeTag(secret, t.handle, body)}
}

func (t *refreshToken) String() string {
	return t.handle + "." + b64.EncodeToString(t.body) + "." + b64.EncodeToString(t.tag)
}

// newRootToken starts a lineage for handle.
func newRootToken(secret []byte, handle string) *refreshToken {
	body := randomBytes(bodyBytes)
	return &refreshToken{handle: handle, body: body, tag: computeTag(secret, handle, body)}
}

// hash1 is the access token's refreshTokenHash1: lowercase hex SHA-256 of the token string.
func hash1(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// hash2 is what the store keeps: SHA-256 of hash1.
func hash2FromHash1(h1 string) string {
	s := sha256.Sum256([]byte(h1))
	return hex.EncodeToString(s[:])
}
