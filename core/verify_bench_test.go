package core_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// coldKit is one algorithm's engine (verify cache as asked), key and a token it issued.
type coldKit struct {
	e   *core.Engine
	key *core.SigningKey
	tok string
}

func newColdKit(tb testing.TB, alg string, cache bool) *coldKit {
	tb.Helper()
	key, err := core.GenerateKey(alg)
	if err != nil {
		tb.Fatal(err)
	}
	ring, err := core.NewStaticKeyRing(key)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := core.New(core.Config{Store: memory.New(), Keys: ring, Logger: discardLogger(),
		RevocationPollInterval: -1, Audit: core.AuditConfig{Disable: true}, DisableVerifyCache: !cache})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = e.Close() })
	t, err := e.IssueTokens(context.Background(), "user-1", core.CreateOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return &coldKit{e: e, key: key, tok: t.AccessToken}
}

// bareVerify returns the signature check alone for the kit's token: the signing input and
// signature decoded once, outside the loop, and the standard library's verify, exactly as
// the engine calls it (ES256's r||s as two big.Ints, the JWS encoding).
func (k *coldKit) bareVerify(tb testing.TB) func() bool {
	tb.Helper()
	i := strings.LastIndexByte(k.tok, '.')
	input := []byte(k.tok[:i])
	sig, err := base64.RawURLEncoding.DecodeString(k.tok[i+1:])
	if err != nil {
		tb.Fatal(err)
	}
	switch pub := k.key.Private.Public().(type) {
	case ed25519.PublicKey:
		return func() bool { return ed25519.Verify(pub, input, sig) }
	case *ecdsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			return ecdsa.Verify(pub, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
		}
	case *rsa.PublicKey:
		return func() bool {
			h := sha256.Sum256(input)
			return rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig) == nil
		}
	}
	tb.Fatalf("unexpected key type %T", k.key.Private.Public())
	return nil
}

// BenchmarkColdVerify puts, in one run and side by side for each algorithm: the bare
// signature check of the token's signing input (the floor), ratchet's whole cold verify
// (verify cache off, so every call parses, verifies and checks the claims), the two
// interleaved (their ratio, robust to a loaded machine), ratchet with
// the cache on and a token it has not seen each iteration (EdDSA and ES256: RS256's signing
// makes issuing b.N tokens too slow), and golang-jwt's Parse of the same token into
// MapClaims for reference.
func BenchmarkColdVerify(b *testing.B) {
	ctx := context.Background()
	for _, alg := range []string{core.AlgEdDSA, core.AlgES256, core.AlgRS256} {
		k := newColdKit(b, alg, false)
		b.Run(alg+"/bare", func(b *testing.B) {
			verify := k.bareVerify(b)
			b.ReportAllocs()
			for range b.N {
				if !verify() {
					b.Fatal("signature refused")
				}
			}
		})
		b.Run(alg+"/ratchet", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, err := k.e.VerifyAccessToken(ctx, k.tok, core.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		// The two above, alternated call by call, so that a shared machine's load hits both
		// alike: the ratio is the figure to read when the machine is not quiet.
		b.Run(alg+"/interleaved", func(b *testing.B) {
			verify := k.bareVerify(b)
			interleave(b, func() {
				if !verify() {
					b.Fatal("signature refused")
				}
			}, func() {
				if _, err := k.e.VerifyAccessToken(ctx, k.tok, core.VerifyOptions{}); err != nil {
					b.Fatal(err)
				}
			})
		})
		if alg != core.AlgRS256 {
			b.Run(alg+"/ratchet-cache-fresh", func(b *testing.B) {
				c := newColdKit(b, alg, true)
				toks := make([]string, b.N)
				for i := range toks {
					t, err := c.e.IssueTokens(ctx, "user-1", core.CreateOptions{})
					if err != nil {
						b.Fatal(err)
					}
					toks[i] = t.AccessToken
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					if _, err := c.e.VerifyAccessToken(ctx, toks[i], core.VerifyOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(alg+"/golang-jwt", func(b *testing.B) {
			pub := k.key.Private.Public()
			keyFunc := func(*jwt.Token) (any, error) { return pub, nil }
			p := jwt.NewParser(jwt.WithValidMethods([]string{alg}))
			b.ReportAllocs()
			for range b.N {
				if _, err := p.Parse(k.tok, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
