package adaptertest

// HTTPSuite attacks on the access token (checklist S-45..S-58).

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) attackJWT(t *testing.T) {
	f := s.newForger(t)
	t.Run("control", f.control)
	t.Run("alg_none", f.algNone)
	t.Run("stripped_signature", f.strippedSignature)
	t.Run("payload_edits", f.payloadEdits)
	t.Run("hmac_with_public_key", f.hmacWithPublicKey)
	t.Run("foreign_key_with_our_kid", f.foreignKey)
	t.Run("embedded_keys_never_fetched", f.embeddedKeys)
	t.Run("kid_injection", f.kidInjection)
	t.Run("crit", f.crit)
	t.Run("duplicate_members", f.duplicateMembers)
	t.Run("typ", f.typ)
	t.Run("iss", f.iss)
	t.Run("time_claims", f.timeClaims)
	t.Run("missing_session_claims", f.missingSessionClaims)
	t.Run("signature_values", f.signatureValues)
	t.Run("non_canonical_base64", f.nonCanonicalBase64)
	t.Run("other_serialisations", f.otherSerialisations)
	t.Run("oversized", f.oversized)
	// After every attack the victim is untouched and the server healthy.
	f.victim.expectAlive(t)
	f.victim.refreshOK(t)
	f.victim.expectAlive(t)
	s.expectHealthy(t)
}

// control: a token minted by the forger with the server's key and nothing wrong in it is
// accepted. Every "signed with our key" attack below differs from it in one defect only.
func (f *forger) control(t *testing.T) {
	f.s.expectTokenAccepted(t, "our header and payload", f.ours(t, f.ourHeader(nil), f.payload(nil)))
	f.s.expectTokenAccepted(t, "genuine", f.genuine)
}

func (f *forger) algNone(t *testing.T) {
	parts := strings.Split(f.genuine, ".")
	p := seg(t, f.payload(map[string]any{"sub": "user-bob", "role": "admin"}))
	for _, alg := range []any{"none", "None", "NONE", "nOnE", "none ", "", nil} {
		h := seg(t, f.ourHeader(map[string]any{"alg": alg})) // nil: no alg member at all
		name := "alg " + strings.TrimSpace(jsonString(alg))
		f.s.expectTokenRejected(t, name+" unsigned", h+"."+p+".")
		f.s.expectTokenRejected(t, name+" two segments", h+"."+p)
		f.s.expectTokenRejected(t, name+" with the genuine signature", h+"."+parts[1]+"."+parts[2])
		f.s.expectTokenRejected(t, name+" with a signature", h+"."+p+"."+parts[2])
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func (f *forger) strippedSignature(t *testing.T) {
	parts := strings.Split(f.genuine, ".")
	other := f.s.signIn(t, BobEmail, headerMode)
	op := strings.Split(other.access, ".")
	sig := parts[2]
	for name, tok := range map[string]string{
		"empty signature":           parts[0] + "." + parts[1] + ".",
		"no signature segment":      parts[0] + "." + parts[1],
		"half a signature":          parts[0] + "." + parts[1] + "." + sig[:len(sig)/2],
		"signature minus one char":  parts[0] + "." + parts[1] + "." + sig[:len(sig)-1],
		"signature plus one char":   parts[0] + "." + parts[1] + "." + sig + "A",
		"another token's signature": parts[0] + "." + parts[1] + "." + op[2],
		"signature twice":           parts[0] + "." + parts[1] + "." + sig + sig,
		"only the signature":        "..." + sig,
		"empty header":              "." + parts[1] + "." + sig,
		"empty payload":             parts[0] + ".." + sig,
	} {
		f.s.expectTokenRejected(t, name, tok)
	}
	other.expectAlive(t)
}

// payloadEdits: the payload is changed after signing; the genuine signature stays.
func (f *forger) payloadEdits(t *testing.T) {
	parts := strings.Split(f.genuine, ".")
	bob := f.s.signIn(t, BobEmail, headerMode)
	exp, _ := f.claims["exp"].(float64)
	for name, edit := range map[string]map[string]any{
		"sub of another user":     {"sub": "user-bob"},
		"another session handle":  {"sessionHandle": bob.handle(t), "sub": "user-bob"},
		"role admin":              {"role": "admin", "sub": "user-bob"},
		"exp extended":            {"exp": exp + 3600},
		"iss changed":             {"iss": "https://evil.example"},
		"refreshTokenHash1 moved": {"refreshTokenHash1": sha256Hex("attacker")},
		"auth_time moved":         {"auth_time": f.claims["auth_time"].(float64) + 60},
	} {
		p := seg(t, f.payload(edit))
		if p == parts[1] {
			t.Fatalf("test bug: the %q edit leaves the payload as it was", name)
		}
		f.s.expectTokenRejected(t, name, parts[0]+"."+p+"."+parts[2])
	}
	// The header is signed too.
	f.s.expectTokenRejected(t, "header edited", seg(t, f.ourHeader(map[string]any{"version": "4"}))+"."+parts[1]+"."+parts[2])
	bob.expectAlive(t)
}

// hmacWithPublicKey: algorithm confusion (CVE-2015-9235 and kin). The attacker MACs a token
// with the server's public key, as published by the JWKS route, in every encoding a
// confused verifier might feed to HMAC.
func (f *forger) hmacWithPublicKey(t *testing.T) {
	der, err := x509.MarshalPKIXPublicKey(f.pub)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	var raw []byte
	var canon map[string]string
	switch k := f.pub.(type) {
	case ed25519.PublicKey:
		raw = k
		canon = map[string]string{"crv": "Ed25519", "kty": "OKP", "x": b64url(k)}
	case *ecdsa.PublicKey:
		raw = append(append([]byte{4}, k.X.FillBytes(make([]byte, 32))...), k.Y.FillBytes(make([]byte, 32))...)
		canon = map[string]string{"crv": "P-256", "kty": "EC", "x": b64url(k.X.FillBytes(make([]byte, 32))),
			"y": b64url(k.Y.FillBytes(make([]byte, 32)))}
	case *rsa.PublicKey:
		raw = k.N.Bytes()
		canon = map[string]string{"e": b64url(big.NewInt(int64(k.E)).Bytes()), "kty": "RSA", "n": b64url(k.N.Bytes())}
	}
	secrets := map[string][]byte{
		"PEM":                 pemBytes,
		"PEM without newline": []byte(strings.TrimSpace(string(pemBytes))),
		"DER":                 der,
		"raw":                 raw,
		"raw as base64url":    []byte(b64url(raw)),
		"raw as base64":       []byte(base64.StdEncoding.EncodeToString(raw)),
		"raw as hex":          []byte(hex.EncodeToString(raw)),
		"JWK as published":    f.jwk,
		"JWK, RFC 7638 form":  jsonBody(t, canon),
	}
	if rk, ok := f.pub.(*rsa.PublicKey); ok {
		secrets["PKCS#1 DER"] = x509.MarshalPKCS1PublicKey(rk)
	}
	p := seg(t, f.payload(map[string]any{"sub": "user-bob", "role": "admin"}))
	for name, secret := range secrets {
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			for _, kid := range []any{f.key.ID, nil} {
				h := seg(t, f.ourHeader(map[string]any{"alg": alg, "kid": kid}))
				f.s.expectTokenRejected(t, alg+" keyed with the "+name+" public key", hmacToken(alg, secret, h, p))
			}
		}
	}
}

// foreignKey: a token signed with the attacker's own key but naming our kid, in every
// algorithm the library supports.
func (f *forger) foreignKey(t *testing.T) {
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p := seg(t, f.payload(map[string]any{"sub": "user-bob"}))
	for alg, key := range map[string]any{core.AlgEdDSA: edKey, core.AlgES256: ecKey, core.AlgRS256: rsaKey} {
		for _, kid := range []any{f.key.ID, nil, "attacker"} {
			h := seg(t, f.ourHeader(map[string]any{"alg": alg, "kid": kid}))
			f.s.expectTokenRejected(t, alg+" foreign key, kid "+jsonString(kid), signWith(t, alg, key, h, p))
		}
	}
}

// embeddedKeys: keys or key URLs in the header (jwk, x5c, jku, x5u) are never trusted or
// fetched. The URLs point at a loopback listener that must see no connection at all.
func (f *forger) embeddedKeys(t *testing.T) {
	watch := newFetchWatch(t)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "attacker"},
		NotBefore: f.s.fx.Clock.Now().Add(-time.Hour), NotAfter: f.s.fx.Clock.Now().Add(time.Hour)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, edPub, edKey)
	if err != nil {
		t.Fatal(err)
	}
	attackerJWK := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64url(edPub), "kid": f.key.ID, "alg": "EdDSA", "use": "sig"}
	p := seg(t, f.payload(map[string]any{"sub": "user-bob", "role": "admin"}))
	for name, extra := range map[string]map[string]any{
		"jwk":     {"jwk": attackerJWK},
		"x5c":     {"x5c": []string{base64.StdEncoding.EncodeToString(cert)}},
		"jku":     {"jku": watch.srv.URL + "/jwks.json"},
		"x5u":     {"x5u": watch.srv.URL + "/cert.pem"},
		"jku+jwk": {"jku": watch.srv.URL + "/jwks.json", "jwk": attackerJWK},
	} {
		for _, kid := range []any{f.key.ID, nil, "attacker"} {
			edits := map[string]any{"alg": core.AlgEdDSA, "kid": kid}
			for k, v := range extra {
				edits[k] = v
			}
			h := seg(t, f.ourHeader(edits))
			f.s.expectTokenRejected(t, name+" header, kid "+jsonString(kid), signWith(t, core.AlgEdDSA, edKey, h, p))
		}
		// Even with the server's own signature, a header that names key material is refused.
		f.s.expectTokenRejected(t, name+" header signed with our key", f.ours(t, f.ourHeader(extra), f.payload(nil)))
	}
	if n, hits := watch.fetched(t); n != 0 || len(hits) != 0 {
		t.Errorf("the server connected to a key URL named in a token: %d connections, requests %q", n, hits)
	}
}

// kidInjection: kid is matched against the configured keys only; path, SQL, NUL and huge
// values get the uniform 401, never a 5xx or a lookup of their own.
func (f *forger) kidInjection(t *testing.T) {
	p := f.payload(nil)
	pSeg := seg(t, p)
	for _, kid := range []any{
		"../../../../../../dev/null",
		"/dev/null",
		"file:///dev/null",
		"' OR '1'='1",
		"x' UNION SELECT 'secret' --",
		f.key.ID + "\x00",
		"\x00" + f.key.ID,
		f.key.ID + "\r\nX-Injected: 1",
		strings.Repeat("k", 8<<10),
		"s-000000000000000000000000", // well formed, unknown
		strings.ToUpper(f.key.ID),
		f.key.ID + " ",
		5,
		map[string]any{"kid": f.key.ID},
		[]any{f.key.ID},
	} {
		name := "kid " + short(jsonString(kid))
		f.s.expectTokenRejected(t, name+" signed with our key", f.ours(t, f.ourHeader(map[string]any{"kid": kid}), p))
		// The /dev/null trick: a verifier that reads the key from the named file gets an empty
		// HMAC key.
		h := seg(t, f.ourHeader(map[string]any{"alg": "HS256", "kid": kid}))
		f.s.expectTokenRejected(t, name+" MAC'd with an empty key", hmacToken("HS256", nil, h, pSeg))
	}
}

func (f *forger) crit(t *testing.T) {
	for name, edits := range map[string]map[string]any{
		"crit exp":          {"crit": []string{"exp"}},
		"crit unknown":      {"crit": []string{"x-ratchet"}, "x-ratchet": true},
		"crit empty":        {"crit": []string{}},
		"crit b64 false":    {"crit": []string{"b64"}, "b64": false},
		"unknown header":    {"x-ratchet": true},
		"zip":               {"zip": "DEF"},
		"cty JWT (nesting)": {"cty": "JWT"},
	} {
		f.s.expectTokenRejected(t, name, f.ours(t, f.ourHeader(edits), f.payload(nil)))
	}
}

func (f *forger) duplicateMembers(t *testing.T) {
	hdr := string(jsonBody(t, f.ourHeader(nil)))
	pay := string(jsonBody(t, f.payload(nil)))
	dup := func(doc, member string) rawJSON { return rawJSON("{" + member + "," + doc[1:]) }
	cases := map[string][2]any{
		"header alg twice":        {dup(hdr, `"alg":"none"`), f.payload(nil)},
		"header kid twice":        {dup(hdr, `"kid":"attacker"`), f.payload(nil)},
		"header typ twice":        {dup(hdr, `"typ":"at+jwt"`), f.payload(nil)},
		"payload sub twice":       {f.ourHeader(nil), dup(pay, `"sub":"user-bob"`)},
		"payload exp twice":       {f.ourHeader(nil), dup(pay, `"exp":4102444800`)},
		"payload handle twice":    {f.ourHeader(nil), dup(pay, `"sessionHandle":"AAAAAAAAAAAAAAAAAAAAAA"`)},
		"payload nested twice":    {f.ourHeader(nil), dup(pay, `"x":{"a":1,"a":2}`)},
		"payload escaped twice":   {f.ourHeader(nil), dup(pay, `"s\u0075b":"user-bob"`)},
		"header trailing garbage": {rawJSON(hdr + `{}`), f.payload(nil)},
		"payload two objects":     {f.ourHeader(nil), rawJSON(pay + pay)},
		"payload not an object":   {f.ourHeader(nil), rawJSON(`["` + f.victim.userID + `"]`)},
		"payload invalid UTF-8":   {f.ourHeader(nil), rawJSON(strings.Replace(pay, "{", "{\"x\":\"\xff\",", 1))},
	}
	for name, c := range cases {
		f.s.expectTokenRejected(t, name, f.ours(t, c[0], c[1]))
	}
}

func (f *forger) typ(t *testing.T) {
	for _, typ := range []any{nil, "at+jwt", "jwt", "JWS", "JOSE", "", "JWT ", 1} {
		f.s.expectTokenRejected(t, "typ "+jsonString(typ), f.ours(t, f.ourHeader(map[string]any{"typ": typ}), f.payload(nil)))
	}
}

func (f *forger) iss(t *testing.T) {
	iss, _ := f.claims["iss"].(string)
	for _, v := range []any{nil, "", "https://evil.example", iss + "/", strings.ToUpper(iss), []string{iss}, 1} {
		f.s.expectTokenRejected(t, "iss "+jsonString(v), f.ours(t, f.ourHeader(nil), f.payload(map[string]any{"iss": v})))
	}
}

// timeClaims: exp is required and means "on or after"; nbf and iat may not lie in the future.
// The fixture allows no clock skew.
func (f *forger) timeClaims(t *testing.T) {
	now := f.s.fx.Clock.Now().Unix()
	for name, edits := range map[string]map[string]any{
		"no exp":            {"exp": nil},
		"exp in the past":   {"exp": now - 1},
		"exp now":           {"exp": now},
		"exp as string":     {"exp": "4102444800"},
		"exp null":          {"exp": json.RawMessage("null")},
		"nbf in the future": {"nbf": now + 60},
		"iat in the future": {"iat": now + 60},
		"iat as string":     {"iat": "0"},
	} {
		f.s.expectTokenRejected(t, name, f.ours(t, f.ourHeader(nil), f.payload(edits)))
	}
	// The control: the same construction with a valid exp passes, so each 401 above is the
	// claim check, not the signature.
	f.s.expectTokenAccepted(t, "exp in an hour", f.ours(t, f.ourHeader(nil), f.payload(map[string]any{"exp": now + 3600})))
}

// missingSessionClaims: a JWT signed with our key but not shaped like an access token (for
// example a token the app signs for another purpose) is not a session.
func (f *forger) missingSessionClaims(t *testing.T) {
	for name, edits := range map[string]map[string]any{
		"no sub":               {"sub": nil},
		"empty sub":            {"sub": ""},
		"numeric sub":          {"sub": 42},
		"no sessionHandle":     {"sessionHandle": nil},
		"sessionHandle path":   {"sessionHandle": "../../etc/passwd"},
		"no refreshTokenHash1": {"refreshTokenHash1": nil},
	} {
		f.s.expectTokenRejected(t, name, f.ours(t, f.ourHeader(nil), f.payload(edits)))
	}
	// Only sub and iss and exp: a generic JWT from the same issuer.
	generic := map[string]any{"sub": f.victim.userID, "iss": f.claims["iss"], "exp": f.claims["exp"], "iat": f.claims["iat"]}
	f.s.expectTokenRejected(t, "generic JWT", f.ours(t, f.ourHeader(nil), generic))
}

// signatureValues: degenerate signatures. ECDSA's "psychic signature" values (CVE-2022-21449)
// only test an ES256 key; for the fixture's default EdDSA key the same idea is tried with
// Ed25519-sized values, and the ECDSA values are sent under an ES256 header, which the
// per-key algorithm binding must refuse.
func (f *forger) signatureValues(t *testing.T) {
	parts := strings.Split(f.genuine, ".")
	hp := parts[0] + "." + parts[1]
	n := elliptic.P256().Params().N.FillBytes(make([]byte, 32))
	zero32 := make([]byte, 32)
	ecdsaSigs := map[string][]byte{
		"r=s=0":         make([]byte, 64),
		"r=s=n":         append(append([]byte{}, n...), n...),
		"r=0, s=n":      append(append([]byte{}, zero32...), n...),
		"r=n, s=0":      append(append([]byte{}, n...), zero32...),
		"DER r=s=0":     {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00},
		"r=s=1":         append(append(make([]byte, 31), 1), append(make([]byte, 31), 1)...),
		"32 zero bytes": zero32,
	}
	ff := make([]byte, 64)
	for i := range ff {
		ff[i] = 0xff
	}
	genuineSig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	for name, sig := range map[string][]byte{
		"64 zero bytes": make([]byte, 64),
		"64 0xff bytes": ff,
		"one zero byte": {0},
		"63 bytes":      genuineSig[:len(genuineSig)-1],
		"sig + 1 byte":  append(append([]byte{}, genuineSig...), 0),
	} {
		f.s.expectTokenRejected(t, name, hp+"."+b64url(sig))
	}
	if f.key.Algorithm == core.AlgES256 {
		for name, sig := range ecdsaSigs {
			f.s.expectTokenRejected(t, "ES256 "+name, hp+"."+b64url(sig))
		}
	} else {
		t.Logf("the fixture key is %s: ECDSA out-of-range values are sent under an ES256 header (alg binding); "+
			"core/accesstoken_test.go TestES256RejectsInvalidSignatures covers them against an ES256 key", f.key.Algorithm)
	}
	h := seg(t, f.ourHeader(map[string]any{"alg": core.AlgES256}))
	for name, sig := range ecdsaSigs {
		f.s.expectTokenRejected(t, "ES256 header "+name, h+"."+parts[1]+"."+b64url(sig))
	}
	// Ed25519 malleability: S + L is the same signature to a verifier that does not check
	// S < L. Go's ed25519 does; the wire must agree.
	if f.key.Algorithm == core.AlgEdDSA && len(genuineSig) == 64 {
		l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
		sLE := append([]byte{}, genuineSig[32:]...)
		reverse(sLE)
		s2 := new(big.Int).Add(new(big.Int).SetBytes(sLE), l)
		if s2.BitLen() <= 256 {
			out := s2.FillBytes(make([]byte, 32))
			reverse(out)
			f.s.expectTokenRejected(t, "Ed25519 S+L", hp+"."+b64url(append(append([]byte{}, genuineSig[:32]...), out...)))
		}
	}
}

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}

// nonCanonicalBase64: segments whose unused trailing bits are set, which lenient decoders read
// as the same bytes (JWT malleability, S-55). Header and payload variants are signed over
// their non-canonical text with our key, so only the encoding can be at fault; the control
// signs the same JSON canonically.
func (f *forger) nonCanonicalBase64(t *testing.T) {
	hdr, pay := spareBits(t, f.ourHeader(nil)), spareBits(t, f.payload(nil))
	hSeg, pSeg := seg(t, hdr), seg(t, pay)
	f.s.expectTokenAccepted(t, "canonical encoding of the same JSON", f.oursSegs(t, hSeg, pSeg))
	if nh, ok := nonCanonical(hSeg); ok {
		f.s.expectTokenRejected(t, "header with trailing bits", f.oursSegs(t, nh, pSeg))
	} else {
		t.Error("test bug: the header segment has no spare bits")
	}
	if np, ok := nonCanonical(pSeg); ok {
		f.s.expectTokenRejected(t, "payload with trailing bits", f.oursSegs(t, hSeg, np))
	} else {
		t.Error("test bug: the payload segment has no spare bits")
	}
	parts := strings.Split(f.genuine, ".")
	if ns, ok := nonCanonical(parts[2]); ok {
		f.s.expectTokenRejected(t, "signature with trailing bits", parts[0]+"."+parts[1]+"."+ns)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	std := base64.RawStdEncoding.EncodeToString(sig)
	if std == parts[2] {
		std = "+" + std[1:]
	}
	for name, tok := range map[string]string{
		"standard base64 alphabet": parts[0] + "." + parts[1] + "." + std,
		"padded signature":         f.genuine + "==",
		"padded payload":           parts[0] + "." + parts[1] + "=." + parts[2],
		"space inside":             parts[0] + "." + parts[1] + " ." + parts[2],
		"tab inside":               parts[0] + "\t." + parts[1] + "." + parts[2],
		"percent-encoded dot":      parts[0] + "%2E" + parts[1] + "." + parts[2],
	} {
		f.s.expectTokenRejected(t, name, tok)
	}
}

func (f *forger) otherSerialisations(t *testing.T) {
	parts := strings.Split(f.genuine, ".")
	flat := jsonBody(t, map[string]string{"protected": parts[0], "payload": parts[1], "signature": parts[2]})
	general := jsonBody(t, map[string]any{"payload": parts[1], "signatures": []map[string]string{{"protected": parts[0], "signature": parts[2]}}})
	for name, tok := range map[string]string{
		"JWE shape (5 segments)":     parts[0] + ".." + parts[1] + "." + parts[2] + ".AAAA",
		"4 segments":                 f.genuine + "." + parts[2],
		"JSON serialisation":         string(flat),
		"general JSON serialisation": string(general),
		"JSON without protected":     string(jsonBody(t, map[string]string{"payload": parts[1], "signature": parts[2]})),
		"base64 of the whole token":  base64.StdEncoding.EncodeToString([]byte(f.genuine)),
	} {
		if strings.ContainsAny(tok, "\"{}") {
			// JSON cannot travel in a cookie unquoted; the Bearer header carries it verbatim.
			f.s.expectTokenRejectedVia(t, name, tok, "bearer")
			continue
		}
		f.s.expectTokenRejected(t, name, tok)
	}
}

// oversized: 1 MiB and 64 KiB tokens in the Authorization header and in the cookie. The
// answer is 401, or 400/431 from a server that bounds its headers, and never a 5xx.
func (f *forger) oversized(t *testing.T) {
	parts := strings.Split(f.genuine, ".")
	for name, tok := range map[string]string{
		"1 MiB token":   parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2],
		"1 MiB of dots": strings.Repeat(".", 1<<20),
		"64 KiB token":  parts[0] + "." + strings.Repeat("A", 64<<10) + "." + parts[2],
		"64 KiB header": b64url([]byte(`{"alg":"EdDSA","x":"`+strings.Repeat("a", 48<<10)+`"}`)) + "." + parts[1] + "." + parts[2],
	} {
		for _, via := range []string{"bearer", "cookie"} {
			opts := []reqOpt{withBearer(tok)}
			if via == "cookie" {
				opts = []reqOpt{withCookieHeader(f.s.accessCookie + "=" + tok), withRID("session"), withOrigin(WebsiteOrigin)}
			}
			for _, rt := range []struct{ method, path string }{{"GET", "/api/me"}, {"POST", "/auth/signout"}} {
				r, err := f.s.c.send(rt.method, rt.path, nil, opts...)
				if err != nil {
					// A server may reset a connection whose headers it will not read; that is a
					// refusal too, but it must not have taken the server down.
					t.Logf("%s via %s %s: transport error %v (the server refused to read it)", name, via, rt.path, err)
					continue
				}
				if r.Status >= 500 {
					t.Errorf("%s via %s: a server error is never an acceptable answer: %s", name, via, r)
				}
				f.s.expectRejectedOrTooLarge(t, r, name+" via "+via)
			}
		}
	}
	f.victim.expectAlive(t)
}
