package core

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrKEK matches (errors.Is) every key-encryption-key problem: a missing, malformed or wrong
// KEK, or sealed keys that no configured KEK opens. The store is never written when it occurs.
var ErrKEK = errors.New("ratchet: key-encryption key")

// KEKEnv is the environment variable KEKFromEnv reads the KEK from: the standard base64 (or
// base64url) encoding of 32 random bytes, e.g. the output of `openssl rand -base64 32`.
const KEKEnv = "RATCHET_KEK"

// PreviousKEKsEnv optionally lists older KEKs (comma-separated, same encoding), accepted for
// decryption only while keys are being re-wrapped. KEKFromEnv reads it.
const PreviousKEKsEnv = "RATCHET_KEK_PREVIOUS"

// KEKSize is the size of a key-encryption key: AES-256.
const KEKSize = 32

// kek is a parsed key-encryption key.
type kek struct {
	aead cipher.AEAD
	id   [kekIDSize]byte
}

const (
	kekIDSize    = 8
	sealVersion  = 1
	sealNonceLen = 12
	sealHeader   = 3 + kekIDSize + sealNonceLen // "RK" version id nonce
)

func newKEK(key []byte) (*kek, error) {
	if len(key) != KEKSize {
		return nil, fmt.Errorf("%w: must be %d bytes, got %d", ErrKEK, KEKSize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKEK, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKEK, err)
	}
	k := &kek{aead: aead}
	copy(k.id[:], kekFingerprint(key))
	return k, nil
}

// kekFingerprint identifies a KEK without revealing it: a keyed hash under the KEK itself.
func kekFingerprint(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ratchet KEK id v1"))
	return m.Sum(nil)[:kekIDSize]
}

// KEKID returns the public identifier of a KEK (16 hex digits), the one that sealed keys and
// error messages name. It reveals nothing about the KEK.
func KEKID(key []byte) string { return hex.EncodeToString(kekFingerprint(key)) }

func (k *kek) ID() string { return hex.EncodeToString(k.id[:]) }

// sealAAD binds a sealed private key to its row: a ciphertext copied to another kid or
// algorithm does not open.
func sealAAD(kid, alg string) []byte {
	return []byte("ratchet signing key v1\x00" + kid + "\x00" + alg)
}

// seal encrypts a PKCS #8 private key: "RK" ‖ version ‖ KEK id ‖ nonce ‖ AES-256-GCM(…).
func (k *kek) seal(kid, alg string, plaintext []byte) []byte {
	out := make([]byte, sealHeader, sealHeader+len(plaintext)+k.aead.Overhead())
	out[0], out[1], out[2] = 'R', 'K', sealVersion
	copy(out[3:], k.id[:])
	nonce := out[3+kekIDSize : sealHeader]
	if _, err := rand.Read(nonce); err != nil {
		panic("ratchet: crypto/rand failed: " + err.Error())
	}
	return k.aead.Seal(out, nonce, plaintext, sealAAD(kid, alg))
}

// sealedKEKID returns the id of the KEK a sealed blob names, or "" if it is not one.
func sealedKEKID(sealed []byte) string {
	if len(sealed) < sealHeader || sealed[0] != 'R' || sealed[1] != 'K' || sealed[2] != sealVersion {
		return ""
	}
	return hex.EncodeToString(sealed[3 : 3+kekIDSize])
}

func (k *kek) open(kid, alg string, sealed []byte) ([]byte, error) {
	if sealedKEKID(sealed) == "" {
		return nil, fmt.Errorf("%w: the private key of %s is not a sealed key", ErrKEK, kid)
	}
	if !bytes.Equal(sealed[3:3+kekIDSize], k.id[:]) {
		return nil, fmt.Errorf("%w: the private key of %s is sealed under KEK %s, not %s", ErrKEK, kid, sealedKEKID(sealed), k.ID())
	}
	pt, err := k.aead.Open(nil, sealed[3+kekIDSize:sealHeader], sealed[sealHeader:], sealAAD(kid, alg))
	if err != nil {
		return nil, fmt.Errorf("%w: the private key of %s does not decrypt under KEK %s (corrupt, or moved from another row)", ErrKEK, kid, k.ID())
	}
	return pt, nil
}

// ParseKEK decodes a KEK written as standard or URL-safe base64, padded or not, and checks
// that it is 32 bytes.
func ParseKEK(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrKEK)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KEKSize {
				return nil, fmt.Errorf("%w: must decode to %d bytes, got %d (generate one with `openssl rand -base64 32`)", ErrKEK, KEKSize, len(b))
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: not base64 (generate one with `openssl rand -base64 32`)", ErrKEK)
}

// KEKFromEnv reads the key-encryption keys from the process environment: the current KEK from
// RATCHET_KEK (required) and the previous ones from RATCHET_KEK_PREVIOUS (optional,
// comma-separated), in the encodings ParseKEK accepts. They are meant for KeyRingOptions.KEK
// and KeyRingOptions.PreviousKEKs:
//
//	kek, previous, err := core.KEKFromEnv()
//	if err != nil {
//		log.Fatal(err) // names the variable at fault, never its value
//	}
//	ring, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek, PreviousKEKs: previous})
//
// Nothing else in ratchet reads the environment: the KEK reaches the key ring only through
// this call (or whatever source the app passes KeyRingOptions.KEK from). Every error wraps
// ErrKEK; an unset or empty RATCHET_KEK is one.
func KEKFromEnv() (current []byte, previous [][]byte, err error) {
	return KEKFromGetenv(os.Getenv)
}

// KEKFromGetenv is KEKFromEnv reading the two variables through getenv instead of os.Getenv:
// an app's own configuration source, or a test's map.
func KEKFromGetenv(getenv func(string) string) (current []byte, previous [][]byte, err error) {
	raw := strings.TrimSpace(getenv(KEKEnv))
	if raw == "" {
		return nil, nil, fmt.Errorf("%w: %s is not set: give it the base64 of 32 random bytes (openssl rand -base64 32), the same value on every instance", ErrKEK, KEKEnv)
	}
	if current, err = ParseKEK(raw); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", KEKEnv, err)
	}
	for i, s := range strings.Split(getenv(PreviousKEKsEnv), ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		b, err := ParseKEK(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%s (entry %d): %w", PreviousKEKsEnv, i+1, err)
		}
		previous = append(previous, b)
	}
	return current, previous, nil
}

// NewKEK returns 32 random bytes for a new key-encryption key, and their base64 encoding
// (what RATCHET_KEK holds).
func NewKEK() ([]byte, string) {
	b := randomBytes(KEKSize)
	return b, base64.StdEncoding.EncodeToString(b)
}

// DevKEKFile returns the development KEK kept in the file at path, creating the file (mode
// 0600, base64 text) with a fresh random KEK if it does not exist; created reports that it did.
// It refuses a file that group or others can read or write.
//
// It is for development only: a KEK belongs in a secret manager or the RATCHET_KEK
// environment variable, never next to the database it protects. Callers should say so when
// they use it (for example log "development KEK in <path>; set RATCHET_KEK in production").
func DevKEKFile(path string) (key []byte, created bool, err error) {
	if raw, err := os.ReadFile(path); err == nil {
		st, err := os.Stat(path)
		if err != nil {
			return nil, false, err
		}
		if st.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("%w: %s is accessible to group or others (mode %v); chmod 600 it", ErrKEK, path, st.Mode().Perm())
		}
		k, err := ParseKEK(string(raw))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, false, err
		}
	}
	// Write a temporary file, then link it into place: the link either publishes a complete
	// file or fails because another process published one first.
	k, text := NewKEK()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ratchet-kek-*")
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return nil, false, err
	}
	if _, err := tmp.WriteString(text + "\n"); err != nil {
		_ = tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return DevKEKFile(path)
	} else if err != nil {
		return nil, false, err
	}
	return k, true, nil
}
