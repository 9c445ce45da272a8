package core

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// Supported access-token signing algorithms.
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
	AlgRS256 = "RS256"
)

func supportedAlg(a string) bool { return a == AlgEdDSA || a == AlgES256 || a == AlgRS256 }

// SigningKey is a private key bound to exactly one algorithm.
type SigningKey struct {
	ID        string
	Algorithm string
	Private   crypto.Signer
}

// VerificationKey is the public half of a SigningKey.
type VerificationKey struct {
	ID        string
	Algorithm string
	Public    crypto.PublicKey
}

// KeyRing signs and verifies access tokens. Implementations must be safe for concurrent use and
// must keep VerificationKey cheap: it runs on every cold verification.
type KeyRing interface {
	// SigningKey returns the key new tokens are signed with.
	SigningKey() (*SigningKey, error)
	// VerificationKey returns the key named kid, or false if it is unknown or retired.
	VerificationKey(kid string) (*VerificationKey, bool)
	// JWKS returns the public JSON Web Key Set: exactly the keys VerificationKey accepts.
	JWKS() ([]byte, error)
}

// GenerateKey creates a fresh key for alg with a random "s-" kid.
func GenerateKey(alg string) (*SigningKey, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		return nil, fmt.Errorf("%w: unknown algorithm %q", ErrConfig, alg)
	}
	if err != nil {
		return nil, err
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &SigningKey{ID: "s-" + hex.EncodeToString(id), Algorithm: alg, Private: priv}, nil
}

// checkKey enforces one algorithm per key and minimum strengths.
func checkKey(k *SigningKey) error {
	if k == nil || k.Private == nil {
		return errors.New("nil key")
	}
	if !validKid(k.ID) {
		return fmt.Errorf("kid %q must be 1-64 characters of [A-Za-z0-9_-]", k.ID)
	}
	switch pub := k.Private.Public().(type) {
	case ed25519.PublicKey:
		if k.Algorithm != AlgEdDSA {
			return fmt.Errorf("key %s is Ed25519 but algorithm is %q", k.ID, k.Algorithm)
		}
	case *ecdsa.PublicKey:
		if k.Algorithm != AlgES256 || pub.Curve != elliptic.P256() {
			return fmt.Errorf("key %s: ES256 needs a P-256 key", k.ID)
		}
	case *rsa.PublicKey:
		if k.Algorithm != AlgRS256 {
			return fmt.Errorf("key %s is RSA but algorithm is %q", k.ID, k.Algorithm)
		}
		if pub.N.BitLen() < 2048 {
			return fmt.Errorf("key %s: RSA keys must be at least 2048 bits", k.ID)
		}
	default:
		return fmt.Errorf("key %s: unsupported key type %T", k.ID, pub)
	}
	return nil
}

func validKid(kid string) bool {
	if len(kid) == 0 || len(kid) > 64 {
		return false
	}
	for i := 0; i < len(kid); i++ {
		if !isB64URLByte(kid[i]) {
			return false
		}
	}
	return true
}

// StaticKeyRing is an in-memory KeyRing: the first key signs, all keys verify.
type StaticKeyRing struct {
	signing *SigningKey
	verify  map[string]*VerificationKey
	jwks    []byte
}

var _ KeyRing = (*StaticKeyRing)(nil)

// NewStaticKeyRing builds a ring from keys; keys[0] signs. Each kid must be unique.
func NewStaticKeyRing(keys ...*SigningKey) (*StaticKeyRing, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: a key ring needs at least one key", ErrConfig)
	}
	r := &StaticKeyRing{signing: keys[0], verify: map[string]*VerificationKey{}}
	var set jwkSet
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		if _, dup := r.verify[k.ID]; dup {
			return nil, fmt.Errorf("%w: duplicate kid %q", ErrConfig, k.ID)
		}
		vk := &VerificationKey{ID: k.ID, Algorithm: k.Algorithm, Public: k.Private.Public()}
		r.verify[k.ID] = vk
		set.Keys = append(set.Keys, PublicJWK(vk))
	}
	var err error
	r.jwks, err = json.Marshal(set)
	return r, err
}

// SigningKey implements KeyRing.
func (r *StaticKeyRing) SigningKey() (*SigningKey, error) { return r.signing, nil }

// VerificationKey implements KeyRing.
func (r *StaticKeyRing) VerificationKey(kid string) (*VerificationKey, bool) {
	k, ok := r.verify[kid]
	return k, ok
}

// JWKS implements KeyRing.
func (r *StaticKeyRing) JWKS() ([]byte, error) { return r.jwks, nil }

// JWK is the public JSON Web Key of a verification key. It never has private members.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

type jwkSet struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK encodes the public part of k as a JWK.
func PublicJWK(k *VerificationKey) JWK {
	b64 := base64.RawURLEncoding.EncodeToString
	j := JWK{Kid: k.ID, Alg: k.Algorithm, Use: "sig"}
	switch pub := k.Public.(type) {
	case ed25519.PublicKey:
		j.Kty, j.Crv, j.X = "OKP", "Ed25519", b64(pub)
	case *ecdsa.PublicKey:
		j.Kty, j.Crv = "EC", "P-256"
		j.X, j.Y = b64(pad32(pub.X)), b64(pad32(pub.Y))
	case *rsa.PublicKey:
		j.Kty, j.N, j.E = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
	}
	return j
}

func pad32(n *big.Int) []byte {
	b := make([]byte, 32)
	return n.FillBytes(b)
}
