package core_test

import (
	"context"
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
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

type tokenKit struct {
	e   *core.Engine
	clk *core.FakeClock
	key *core.SigningKey
	tok *core.Tokens
}

func newKit(t *testing.T, alg string) *tokenKit {
	t.Helper()
	key, err := core.GenerateKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	ring, err := core.NewStaticKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	clk := core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	e, err := core.New(core.Config{Store: memory.New(), Keys: ring, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.IssueTokens(context.Background(), "user-1", core.CreateOptions{Payload: map[string]any{"role": "admin"}})
	if err != nil {
		t.Fatal(err)
	}
	return &tokenKit{e: e, clk: clk, key: key, tok: tok}
}

func (k *tokenKit) verify(tok string) error {
	_, err := k.e.VerifyAccessToken(context.Background(), tok, core.VerifyOptions{})
	return err
}

// claims returns the genuine token's payload, to re-sign edited copies.
func (k *tokenKit) claims(t *testing.T) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(k.tok.AccessToken, c); err != nil {
		t.Fatal(err)
	}
	return c
}

// sign signs claims with header fields merged over the genuine header, using method and key.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims, hdr map[string]any) string {
	t.Helper()
	tk := jwt.NewWithClaims(m, claims)
	for k, v := range hdr {
		if v == nil {
			delete(tk.Header, k)
		} else {
			tk.Header[k] = v
		}
	}
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func rawSegment(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestAccessTokenRoundTripAllAlgorithms(t *testing.T) {
	for _, alg := range []string{core.AlgEdDSA, core.AlgES256, core.AlgRS256} {
		t.Run(alg, func(t *testing.T) {
			k := newKit(t, alg)
			s, err := k.e.VerifyAccessToken(context.Background(), k.tok.AccessToken, core.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if s.UserID() != "user-1" || s.Handle() != k.tok.Handle || s.Claim("role") != "admin" {
				t.Errorf("session = %s %s role=%v", s.UserID(), s.Handle(), s.Claim("role"))
			}
			hdr := strings.Split(k.tok.AccessToken, ".")[0]
			raw, _ := base64.RawURLEncoding.DecodeString(hdr)
			var h map[string]any
			_ = json.Unmarshal(raw, &h)
			if h["alg"] != alg || h["kid"] != k.key.ID || h["typ"] != "JWT" || h["version"] != "5" {
				t.Errorf("header = %v", h)
			}
		})
	}
}

func TestAccessTokenClaimsFollowSuperTokensV5(t *testing.T) {
	k := newKit(t, core.AlgEdDSA)
	c := k.claims(t)
	for _, name := range []string{"sub", "exp", "iat", "sessionHandle", "refreshTokenHash1", "parentRefreshTokenHash1", "antiCsrfToken", "tId", "iss"} {
		if _, ok := c[name]; !ok {
			t.Errorf("claim %q missing", name)
		}
	}
	if c["parentRefreshTokenHash1"] != nil || c["antiCsrfToken"] != nil {
		t.Error("parentRefreshTokenHash1 and antiCsrfToken must be present and null")
	}
	exp, _ := c.GetExpirationTime()
	if want := k.clk.Now().Add(core.DefaultAccessTTL); !exp.Time.Equal(want) {
		t.Errorf("exp = %v, want %v", exp.Time, want)
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	k := newKit(t, core.AlgEdDSA)
	k.clk.Advance(core.DefaultAccessTTL - time.Second)
	if err := k.verify(k.tok.AccessToken); err != nil {
		t.Fatalf("token refused before exp: %v", err)
	}
	k.clk.Advance(time.Second) // now == exp: "on or after" means expired
	if err := k.verify(k.tok.AccessToken); !errors.Is(err, core.ErrTryRefresh) {
		t.Fatalf("token at exp: err = %v, want ErrTryRefresh", err)
	}
}

func TestAccessTokenRejectsForgeries(t *testing.T) {
	k := newKit(t, core.AlgEdDSA)
	genuine := k.tok.AccessToken
	parts := strings.Split(genuine, ".")
	c := k.claims(t)
	hdr := map[string]any{"kid": k.key.ID, "version": "5"}
	pub := k.key.Private.Public().(ed25519.PublicKey)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	_, foreign, _ := ed25519.GenerateKey(rand.Reader)

	edited := jwt.MapClaims{}
	for kk, v := range c {
		edited[kk] = v
	}
	edited["sub"] = "attacker"

	cases := map[string]string{
		"empty":                     "",
		"two segments":              parts[0] + "." + parts[1],
		"empty signature":           parts[0] + "." + parts[1] + ".",
		"four segments":             genuine + ".x",
		"payload edited":            parts[0] + "." + rawSegment(edited) + "." + parts[2],
		"padding":                   parts[0] + "." + parts[1] + "." + parts[2] + "==",
		"std base64 chars":          parts[0] + "." + parts[1] + "." + "+/" + parts[2][2:],
		"whitespace":                parts[0] + ". " + parts[1] + "." + parts[2],
		"1 MiB of dots":             strings.Repeat(".", 1<<20),
		"64 KiB token":              parts[0] + "." + strings.Repeat("A", 64<<10) + "." + parts[2],
		"foreign key, our kid":      sign(t, jwt.SigningMethodEdDSA, foreign, c, hdr),
		"HS256 with PEM public key": sign(t, jwt.SigningMethodHS256, pubPEM, c, hdr),
		"HS256 with raw public key": sign(t, jwt.SigningMethodHS256, []byte(pub), c, hdr),
		"HS256 with DER public key": sign(t, jwt.SigningMethodHS256, pubDER, c, hdr),
		"unknown kid":               sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": "s-unknown", "version": "5"}),
		"kid path":                  sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": "../../../dev/null"}),
		"kid SQL":                   sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": "' OR '1'='1"}),
		"kid NUL":                   sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID + "\x00"}),
		"kid 8 KiB":                 sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": strings.Repeat("a", 8<<10)}),
		"no kid":                    sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": nil}),
		"crit":                      sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "crit": []string{"foo"}, "foo": 1}),
		"jwk header":                sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "jwk": map[string]string{"kty": "OKP"}}),
		"jku header":                sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "jku": "http://127.0.0.1:1/jwks"}),
		"x5u header":                sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "x5u": "http://127.0.0.1:1/cert"}),
		"x5c header":                sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "x5c": []string{"MIIB"}}),
		"typ missing":               sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "typ": nil}),
		"typ at+jwt":                sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, map[string]any{"kid": k.key.ID, "typ": "at+jwt"}),
		"refresh token as access":   k.tok.RefreshToken,
	}
	for _, none := range []string{"none", "None", "NONE", "nOnE", ""} {
		h := rawSegment(map[string]any{"alg": none, "typ": "JWT", "kid": k.key.ID})
		cases["alg "+none+" unsigned"] = h + "." + parts[1] + "."
		cases["alg "+none+" with signature"] = h + "." + parts[1] + "." + parts[2]
	}
	dupHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","alg":"none","typ":"JWT","kid":"` + k.key.ID + `"}`))
	cases["duplicate alg member"] = dupHeader + "." + parts[1] + "." + parts[2]
	payloadJSON, _ := base64.RawURLEncoding.DecodeString(parts[1])
	dupPayload := strings.Replace(string(payloadJSON), `{`, `{"sub":"attacker",`, 1)
	signedDup := signRaw(t, k.key.Private.(ed25519.PrivateKey), parts[0], base64.RawURLEncoding.EncodeToString([]byte(dupPayload)))
	cases["duplicate sub member (validly signed)"] = signedDup

	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			err := k.verify(tok)
			if err == nil {
				t.Fatal("forged token accepted")
			}
			if !errors.Is(err, core.ErrTryRefresh) && !errors.Is(err, core.ErrUnauthorised) {
				t.Fatalf("err = %v, want a 401 kind", err)
			}
		})
	}
	if err := k.verify(genuine); err != nil {
		t.Fatalf("genuine token refused after the attacks: %v", err)
	}
}

func signRaw(t *testing.T, priv ed25519.PrivateKey, h, p string) string {
	t.Helper()
	sig := ed25519.Sign(priv, []byte(h+"."+p))
	return h + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAccessTokenClaimChecks(t *testing.T) {
	k := newKit(t, core.AlgEdDSA)
	now := k.clk.Now()
	hdr := map[string]any{"kid": k.key.ID, "version": "5"}
	edit := func(f func(jwt.MapClaims)) string {
		c := k.claims(t)
		f(c)
		return sign(t, jwt.SigningMethodEdDSA, k.key.Private, c, hdr)
	}
	cases := map[string]string{
		"no exp":        edit(func(c jwt.MapClaims) { delete(c, "exp") }),
		"expired":       edit(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Second).Unix() }),
		"nbf in future": edit(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() }),
		"iat in future": edit(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() }),
		"wrong iss":     edit(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }),
		"no iss":        edit(func(c jwt.MapClaims) { delete(c, "iss") }),
		"no sub":        edit(func(c jwt.MapClaims) { delete(c, "sub") }),
		"numeric sub":   edit(func(c jwt.MapClaims) { c["sub"] = 42 }),
		"bad handle":    edit(func(c jwt.MapClaims) { c["sessionHandle"] = "../../x" }),
		"no hash":       edit(func(c jwt.MapClaims) { delete(c, "refreshTokenHash1") }),
		"string exp":    edit(func(c jwt.MapClaims) { c["exp"] = "never" }),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if err := k.verify(tok); err == nil {
				t.Fatal("token accepted")
			}
		})
	}
}

func TestES256RejectsInvalidSignatures(t *testing.T) {
	k := newKit(t, core.AlgES256)
	parts := strings.Split(k.tok.AccessToken, ".")
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	zero := make([]byte, 32)
	sigs := map[string][]byte{
		"all zero":  make([]byte, 64),
		"r=s=n":     append(append([]byte{}, n...), n...),
		"r=0":       append(append([]byte{}, zero...), n...),
		"DER zeros": {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00},
	}
	for name, sig := range sigs {
		tok := parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(sig)
		if err := k.verify(tok); err == nil {
			t.Errorf("%s: psychic signature accepted", name)
		}
	}
	// A foreign P-256 key under our kid.
	foreign, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tok := sign(t, jwt.SigningMethodES256, foreign, k.claims(t), map[string]any{"kid": k.key.ID})
	if err := k.verify(tok); err == nil {
		t.Error("foreign ES256 key accepted")
	}
	// ES256 kid with another algorithm.
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	tok = sign(t, jwt.SigningMethodRS256, rk, k.claims(t), map[string]any{"kid": k.key.ID})
	if err := k.verify(tok); err == nil {
		t.Error("RS256 token accepted under an ES256 kid")
	}
}

func TestWeakRSAKeyRefused(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.NewStaticKeyRing(&core.SigningKey{ID: "s-weak", Algorithm: core.AlgRS256, Private: weak}); err == nil {
		t.Fatal("RSA-1024 key accepted")
	}
}
