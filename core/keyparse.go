package core

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
)

// ParsePrivateKeyPEM parses a static signing key from PEM: PKCS #8 ("PRIVATE KEY"), SEC 1
// ("EC PRIVATE KEY") or PKCS #1 ("RSA PRIVATE KEY"). alg may be empty to infer it from the key
// (Ed25519 → EdDSA, P-256 → ES256, RSA → RS256); otherwise the key must match it. The kid is
// "s-" followed by the key's RFC 7638 thumbprint, so every instance that loads the same PEM
// names the key the same way. Encrypted PEM is refused. Use it with NewStaticKeyRing.
func ParsePrivateKeyPEM(data []byte, alg string) (*SigningKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrConfig)
	}
	if _, encrypted := block.Headers["Proc-Type"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, fmt.Errorf("%w: encrypted PEM keys are not supported; decrypt it first", ErrConfig)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("%w: PEM block %q is not a private key (want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)", ErrConfig, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: parsing %s: %v", ErrConfig, block.Type, err)
	}
	return staticKey(key, alg, "")
}

// ParsePrivateJWK parses a static signing key from a private JSON Web Key (kty OKP/Ed25519,
// EC/P-256 or RSA, with its private members). The JWK's kid and alg are used when present;
// otherwise the kid is "s-" plus the RFC 7638 thumbprint and alg is inferred from the key.
func ParsePrivateJWK(data []byte) (*SigningKey, error) {
	var j struct {
		Kty, Kid, Alg, Use, Crv string
		X, Y, D, N, E, P, Q     string
		DP, DQ, QI              string
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%w: JWK: %v", ErrConfig, err)
	}
	if j.Use != "" && j.Use != "sig" {
		return nil, fmt.Errorf("%w: JWK use %q, want sig", ErrConfig, j.Use)
	}
	var err error
	dec := func(name, s string) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = base64.RawURLEncoding.DecodeString(s)
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("JWK member %q is missing", name)
		}
		return b
	}
	var key any
	switch j.Kty {
	case "OKP":
		if j.Crv != "Ed25519" {
			return nil, fmt.Errorf("%w: JWK crv %q, want Ed25519", ErrConfig, j.Crv)
		}
		d := dec("d", j.D)
		if err == nil && len(d) != ed25519.SeedSize {
			err = fmt.Errorf("JWK d must be %d bytes", ed25519.SeedSize)
		}
		if err == nil {
			key = ed25519.NewKeyFromSeed(d)
		}
	case "EC":
		if j.Crv != "P-256" {
			return nil, fmt.Errorf("%w: JWK crv %q, want P-256", ErrConfig, j.Crv)
		}
		d := dec("d", j.D)
		if err == nil && len(d) != 32 {
			err = fmt.Errorf("JWK d must be 32 bytes")
		}
		if err == nil {
			// SEC 1 DER, so that x509 validates the scalar and derives the public point.
			var der []byte
			der, err = asn1.Marshal(struct {
				Version    int
				PrivateKey []byte
				Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
			}{1, d, asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}})
			if err == nil {
				key, err = x509.ParseECPrivateKey(der)
			}
		}
	case "RSA":
		n, e, d, p, q := dec("n", j.N), dec("e", j.E), dec("d", j.D), dec("p", j.P), dec("q", j.Q)
		if err == nil {
			k := &rsa.PrivateKey{
				PublicKey: rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())},
				D:         new(big.Int).SetBytes(d),
				Primes:    []*big.Int{new(big.Int).SetBytes(p), new(big.Int).SetBytes(q)},
			}
			if err = k.Validate(); err == nil {
				k.Precompute()
				key = k
			}
		}
	default:
		return nil, fmt.Errorf("%w: JWK kty %q (want OKP, EC or RSA)", ErrConfig, j.Kty)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: JWK: %v", ErrConfig, err)
	}
	k, err := staticKey(key, j.Alg, j.Kid)
	if err != nil {
		return nil, err
	}
	// A JWK that carries public members must agree with its private key.
	if j.X != "" || j.N != "" {
		pub := PublicJWK(&VerificationKey{ID: k.ID, Algorithm: k.Algorithm, Public: k.Private.Public()})
		if (j.X != "" && j.X != pub.X) || (j.Y != "" && j.Y != pub.Y) || (j.N != "" && j.N != pub.N) {
			return nil, fmt.Errorf("%w: JWK public members do not match its private key", ErrConfig)
		}
	}
	return k, nil
}

// staticKey wraps a parsed private key, inferring alg and naming it by thumbprint if needed.
func staticKey(key any, alg, kid string) (*SigningKey, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: unsupported private key type %T", ErrConfig, key)
	}
	if alg == "" {
		switch pub := signer.Public().(type) {
		case ed25519.PublicKey:
			alg = AlgEdDSA
		case *ecdsa.PublicKey:
			if pub.Curve == elliptic.P256() {
				alg = AlgES256
			}
		case *rsa.PublicKey:
			alg = AlgRS256
		}
	}
	if ed, ok := signer.(*ed25519.PrivateKey); ok { // PKCS #8 gives a value, but be lenient
		signer = *ed
	}
	if kid == "" {
		tp, err := Thumbprint(signer.Public())
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		kid = "s-" + tp
	}
	k := &SigningKey{ID: kid, Algorithm: alg, Private: signer}
	if err := checkKey(k); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return k, nil
}

// Thumbprint returns the RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	if ec, ok := pub.(*ecdsa.PublicKey); ok && ec.Curve != elliptic.P256() {
		return "", fmt.Errorf("unsupported curve %s (want P-256)", ec.Curve.Params().Name)
	}
	j := PublicJWK(&VerificationKey{Public: pub})
	var canon string
	switch j.Kty {
	case "OKP":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, j.Crv, j.X)
	case "EC":
		canon = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, j.Crv, j.X, j.Y)
	case "RSA":
		canon = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, j.E, j.N)
	default:
		return "", fmt.Errorf("unsupported public key type %T", pub)
	}
	sum := sha256.Sum256([]byte(canon))
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}
