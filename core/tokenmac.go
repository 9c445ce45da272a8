package core

import "crypto/sha256"

// hmacSHA256 is HMAC-SHA256 (RFC 2104) of label‖a‖b under key, computed on the stack. It
// exists for the refresh-token tag and derivation only, which run on every refresh and every
// sign-in: crypto/hmac allocates its two hash states and pads on every call (six
// allocations), where this allocates nothing. The construction is the RFC's, over the
// standard library's SHA-256; TestHMACMatchesStandardLibrary checks it against crypto/hmac
// and the RFC 4231 vectors.
func hmacSHA256(key []byte, label string, a, b []byte) [sha256.Size]byte {
	const block = 64
	if len(key) > block || len(label)+len(a)+len(b) > maxMACInput {
		// Keys are the 32-byte session secrets and inputs are fixed-size token fields: a
		// longer one is a programming error, not input.
		panic("ratchet: hmacSHA256 input out of range")
	}
	var inner [block + maxMACInput]byte
	var outer [block + sha256.Size]byte
	for i := range block {
		k := byte(0)
		if i < len(key) {
			k = key[i]
		}
		inner[i] = k ^ 0x36
		outer[i] = k ^ 0x5c
	}
	n := block
	n += copy(inner[n:], label)
	n += copy(inner[n:], a)
	n += copy(inner[n:], b)
	sum := sha256.Sum256(inner[:n])
	copy(outer[block:], sum[:])
	return sha256.Sum256(outer[:])
}

// maxMACInput bounds what hmacSHA256 hashes: a label, a handle and a body.
const maxMACInput = 96
