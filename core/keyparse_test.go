package core_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

func pemOf(t *testing.T, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParsePrivateKeyPEM(t *testing.T) {
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	pk8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	for _, tc := range []struct {
		name, alg string
		pem       []byte
	}{
		{"PKCS8 Ed25519", core.AlgEdDSA, pemOf(t, "PRIVATE KEY", pk8(ed))},
		{"PKCS8 P-256", core.AlgES256, pemOf(t, "PRIVATE KEY", pk8(ec))},
		{"SEC1 P-256", core.AlgES256, pemOf(t, "EC PRIVATE KEY", sec1)},
		{"PKCS8 RSA", core.AlgRS256, pemOf(t, "PRIVATE KEY", pk8(rs))},
		{"PKCS1 RSA", core.AlgRS256, pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rs))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inferred, err := core.ParsePrivateKeyPEM(tc.pem, "")
			if err != nil || inferred.Algorithm != tc.alg || !strings.HasPrefix(inferred.ID, "s-") {
				t.Fatalf("inferred: %+v, %v", inferred, err)
			}
			again, err := core.ParsePrivateKeyPEM(tc.pem, tc.alg)
			if err != nil || again.ID != inferred.ID {
				t.Fatalf("explicit alg: %v; kid %s vs %s (must be stable)", err, again.ID, inferred.ID)
			}
			if _, err := core.NewStaticKeyRing(again); err != nil {
				t.Fatal(err)
			}
			wrong := core.AlgRS256
			if tc.alg == core.AlgRS256 {
				wrong = core.AlgES256
			}
			if _, err := core.ParsePrivateKeyPEM(tc.pem, wrong); !errors.Is(err, core.ErrConfig) {
				t.Fatalf("as %s: %v, want ErrConfig", wrong, err)
			}
		})
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for name, in := range map[string][]byte{
		"no PEM":      []byte("hello"),
		"public key":  pemOf(t, "PUBLIC KEY", []byte{1}),
		"P-384":       pemOf(t, "PRIVATE KEY", pk8(p384)),
		"RSA 1024":    pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(small)),
		"garbage DER": pemOf(t, "PRIVATE KEY", []byte{0x30, 0x01}),
		"encrypted":   pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}}),
	} {
		if _, err := core.ParsePrivateKeyPEM(in, ""); !errors.Is(err, core.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
}

func TestParsePrivateJWK(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rs, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecD := ec.D.FillBytes(make([]byte, 32))
	pub := func(k *core.SigningKey) core.JWK {
		return core.PublicJWK(&core.VerificationKey{ID: k.ID, Algorithm: k.Algorithm, Public: k.Private.Public()})
	}
	edJWK := map[string]any{"kty": "OKP", "crv": "Ed25519", "d": b64(ed.Seed()), "x": b64(ed.Public().(ed25519.PublicKey))}
	ecJWK := map[string]any{"kty": "EC", "crv": "P-256", "d": b64(ecD), "kid": "my-ec-key", "alg": "ES256"}
	rsJWK := map[string]any{"kty": "RSA", "n": b64(rs.N.Bytes()), "e": b64(big.NewInt(int64(rs.E)).Bytes()),
		"d": b64(rs.D.Bytes()), "p": b64(rs.Primes[0].Bytes()), "q": b64(rs.Primes[1].Bytes()), "use": "sig"}
	for name, tc := range map[string]struct {
		jwk map[string]any
		alg string
	}{"OKP": {edJWK, core.AlgEdDSA}, "EC": {ecJWK, core.AlgES256}, "RSA": {rsJWK, core.AlgRS256}} {
		raw, _ := json.Marshal(tc.jwk)
		k, err := core.ParsePrivateJWK(raw)
		if err != nil || k.Algorithm != tc.alg {
			t.Fatalf("%s: %+v, %v", name, k, err)
		}
		if kid, _ := tc.jwk["kid"].(string); kid != "" && k.ID != kid {
			t.Fatalf("%s: kid %s, want the JWK's %s", name, k.ID, kid)
		}
		if _, err := core.NewStaticKeyRing(k); err != nil {
			t.Fatal(err)
		}
		if name == "EC" && (pub(k).X != b64(pad(ec.X.Bytes())) || pub(k).Y != b64(pad(ec.Y.Bytes()))) {
			t.Fatal("EC: the parsed key's public point differs")
		}
	}
	// Public members that disagree with the private key are refused.
	bad := map[string]any{}
	for k, v := range edJWK {
		bad[k] = v
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	bad["x"] = b64(other.Public().(ed25519.PublicKey))
	raw, _ := json.Marshal(bad)
	if _, err := core.ParsePrivateJWK(raw); !errors.Is(err, core.ErrConfig) {
		t.Fatalf("mismatched x: %v", err)
	}
	for _, s := range []string{`{}`, `{"kty":"oct","k":"AAAA"}`, `{"kty":"OKP","crv":"X25519","d":"AAAA"}`, `{"kty":"EC","crv":"P-256"}`,
		`{"kty":"OKP","crv":"Ed25519","d":"` + b64(ed.Seed()) + `","use":"enc"}`, `not json`} {
		if _, err := core.ParsePrivateJWK([]byte(s)); !errors.Is(err, core.ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", s, err)
		}
	}
}

func pad(b []byte) []byte {
	out := make([]byte, 32)
	copy(out[32-len(b):], b)
	return out
}
