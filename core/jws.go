package core

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// The compact JWS of our access tokens, parsed and signed without golang-jwt's generic Token
// (docs/DEPENDENCIES.md says why): our tokens have one shape, and parsing that shape strictly
// costs a few allocations where the generic parser's maps, interfaces and error joins cost
// hundreds. The cryptography stays in the standard library (verification) and golang-jwt
// (ES256 and RS256 signing).

const (
	// maxJWSHeaderLen bounds the decoded header. Ours is under 120 bytes (alg, a kid of at
	// most 64 characters, typ, version); golang-jwt has no bound.
	maxJWSHeaderLen = 512
	// maxJWSSignatureLen is the longest signature we decode: RSA-8192.
	maxJWSSignatureLen = 1024
)

// refusal names the check an access token failed. A malformed token is not structurally
// ours (401 unauthorised, and the client's tokens are cleared); any other refusal may pass
// after a refresh (401 try refresh token). The values are fixed, so refusing allocates
// nothing until the caller builds its error.
type refusal struct {
	check     string
	malformed bool
}

func (r *refusal) Error() string { return r.check }

var (
	refuseSize         = &refusal{"size", true}            // empty or over maxAccessTokenLen
	refuseShape        = &refusal{"segments", true}        // not three non-empty base64url segments
	refuseBase64       = &refusal{"base64", true}          // a segment is not strict base64url
	refuseUTF8         = &refusal{"utf8", true}            // header or payload is not UTF-8
	refuseHeaderJSON   = &refusal{"header json", true}     // invalid JSON, a duplicate member, not an object, too long
	refuseHeaderMember = &refusal{"header member", true}   // a member other than alg, typ, kid, version
	refuseTyp          = &refusal{"typ", true}             // typ is not "JWT"
	refuseKid          = &refusal{"kid", true}             // kid missing or not 1-64 base64url characters
	refusePayloadJSON  = &refusal{"payload json", true}    // invalid JSON or a duplicate member
	refusePayloadShape = &refusal{"payload object", false} // valid JSON but not an object
	refuseAlg          = &refusal{"alg", false}            // alg missing or not EdDSA, ES256, RS256
	refuseSigBase64    = &refusal{"signature base64", false}
	refuseUnknownKid   = &refusal{"unknown kid", false}
	refuseKeyAlg       = &refusal{"alg does not match key", false}
	refuseSignature    = &refusal{"signature", false}
	refuseIss          = &refusal{"iss", false}
	refuseAud          = &refusal{"aud", false}
	refuseExp          = &refusal{"exp", false} // missing, zero or not a number
	refuseExpired      = &refusal{"expired", false}
	refuseIat          = &refusal{"iat", false} // not a number, or in the future
	refuseNbf          = &refusal{"nbf", false} // not a number, or in the future
	refuseSub          = &refusal{"sub", false}
	refuseHandle       = &refusal{"sessionHandle", false}
	refuseRTH1         = &refusal{"refreshTokenHash1", false}
	refuseAuthTime     = &refusal{"auth_time", false}
)

// jws is a compact JWS split and decoded. header and payload are the decoded JSON texts;
// signingInput is "header.payload" as sent.
type jws struct {
	signingInput []byte
	header       string
	payload      string
	sigSegment   []byte // still base64url: decoded only if the header names a usable alg
}

// splitJWS checks the compact form (bounded size, base64url alphabet byte by byte, exactly
// three non-empty segments: no padding, whitespace, CR or LF can pass) and decodes the header
// and payload with strict base64url, then checks they are UTF-8.
func splitJWS(tok string) (jws, *refusal) {
	if len(tok) == 0 || len(tok) > maxAccessTokenLen {
		return jws{}, refuseSize
	}
	d1 := strings.IndexByte(tok, '.')
	if d1 <= 0 {
		return jws{}, refuseShape
	}
	d2 := strings.IndexByte(tok[d1+1:], '.') + d1 + 1
	if d2 <= d1+1 || d2 == len(tok)-1 || strings.IndexByte(tok[d2+1:], '.') >= 0 {
		return jws{}, refuseShape
	}
	// Every other byte must be base64url: one table lookup per byte, no branch.
	var bad byte
	for i := 0; i < len(tok); i++ {
		bad |= notCompactJWS[tok[i]]
	}
	if bad != 0 {
		return jws{}, refuseShape
	}
	strict := b64.Strict()
	if strict.DecodedLen(d1) > maxJWSHeaderLen {
		return jws{}, refuseHeaderJSON
	}
	// One copy of the token: the standard library decodes and verifies bytes.
	raw := []byte(tok)

	// Header and payload are decoded side by side into one buffer and become one string:
	// one allocation for both (the header's few bytes stay alive with the payload).
	var stack [2560]byte
	buf := stack[:]
	if need := strict.DecodedLen(d1) + strict.DecodedLen(d2-d1-1); need > len(buf) {
		buf = make([]byte, need)
	}
	hn, err := strict.Decode(buf, raw[:d1])
	if err != nil {
		return jws{}, refuseBase64
	}
	pn, err := strict.Decode(buf[hn:], raw[d1+1:d2])
	if err != nil {
		return jws{}, refuseBase64
	}
	if !utf8.Valid(buf[:hn]) || !utf8.Valid(buf[hn:hn+pn]) {
		return jws{}, refuseUTF8
	}
	text := string(buf[:hn+pn])
	return jws{signingInput: raw[:d2], header: text[:hn], payload: text[hn:], sigSegment: raw[d2+1:]}, nil
}

// notCompactJWS is 1 for every byte that may not appear in a compact JWS: anything but the
// base64url alphabet and the dot (whose count and places splitJWS checks).
var notCompactJWS = func() (t [256]byte) {
	for c := range 256 {
		if !isB64URLByte(byte(c)) && c != '.' {
			t[c] = 1
		}
	}
	return t
}()

// joseHeader is the checked header: alg is returned as found (it is judged against the key).
type joseHeader struct{ alg, kid string }

// parseJOSEHeader enforces the header allow-list: a JSON object, no duplicate members, only
// alg, typ, kid and version; typ exactly "JWT"; kid a valid key id. Keys are never taken from
// a token, so jwk, jku, x5u, x5c, crit and the rest are refused outright.
func parseJOSEHeader(h string) (joseHeader, *refusal) {
	var out joseHeader
	if !validJSON(h) {
		return out, refuseHeaderJSON
	}
	it, ok := newMemberIter(h)
	if !ok {
		return out, refuseHeaderJSON
	}
	var typ, kid string
	var typOK, kidOK, algOK bool
	for {
		name, value, more := it.next()
		if !more {
			break
		}
		switch name {
		case "alg":
			out.alg, algOK = jsonString(value)
		case "typ":
			typ, typOK = jsonString(value)
		case "kid":
			kid, kidOK = jsonString(value)
		case "version":
			// Any JSON value, as before: SuperTokens writes a string; we do not read it.
		default:
			return out, refuseHeaderMember
		}
	}
	if !typOK || typ != "JWT" {
		return out, refuseTyp
	}
	if !kidOK || !validKid(kid) {
		return out, refuseKid
	}
	if !algOK {
		out.alg = ""
	}
	out.kid = kid
	return out, nil
}

// decodeSignature decodes the signature segment with strict base64url into buf.
func decodeSignature(seg, buf []byte) ([]byte, bool) {
	strict := b64.Strict()
	if strict.DecodedLen(len(seg)) > len(buf) {
		return nil, false
	}
	n, err := strict.Decode(buf, seg)
	return buf[:n], err == nil
}

// verifyJWS checks sig over input with pub for alg. The caller has bound alg to the key.
// ES256 signatures are JWS's r||s (RFC 7518 §3.4), 32 bytes each.
func verifyJWS(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	switch alg {
	case AlgEdDSA:
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize && ed25519.Verify(k, input, sig)
	case AlgES256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() || len(sig) != 64 {
			return false
		}
		h := sha256.Sum256(input)
		return ecdsa.Verify(k, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case AlgRS256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return false
		}
		h := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
	}
	return false
}

// appendJWSSignature signs buf[from:] (the signing input) with k and appends "." and the
// signature in base64url. Ed25519 goes straight to the key (any crypto.Signer whose public
// key is Ed25519, a KMS or HSM included); ES256 and RS256 go through golang-jwt's signing
// methods, which produce the JWS encodings (r||s for ECDSA) from the standard library's
// signers.
func appendJWSSignature(buf []byte, from int, k *SigningKey) ([]byte, error) {
	input := buf[from:]
	var sig []byte
	var err error
	switch k.Algorithm {
	case AlgEdDSA:
		if priv, ok := k.Private.(ed25519.PrivateKey); ok && len(priv) == ed25519.PrivateKeySize {
			sig = ed25519.Sign(priv, input)
		} else {
			// An interface call: hand it a copy so buf may stay on the caller's stack.
			sig, err = k.Private.Sign(rand.Reader, bytes.Clone(input), crypto.Hash(0))
		}
	case AlgES256, AlgRS256:
		sig, err = jwt.GetSigningMethod(k.Algorithm).Sign(string(input), k.Private)
	default:
		err = errors.New("unsupported algorithm " + k.Algorithm)
	}
	if err != nil {
		return nil, err
	}
	buf = append(buf, '.')
	return b64.AppendEncode(buf, sig), nil
}

// appendJOSEHeader appends our header. The kid passed checkKey (base64url characters only),
// so it needs no escaping; the member order is golang-jwt's (sorted), as tokens always had.
func appendJOSEHeader(dst []byte, k *SigningKey) []byte {
	dst = append(dst, `{"alg":"`...)
	dst = append(dst, k.Algorithm...)
	dst = append(dst, `","kid":"`...)
	dst = append(dst, k.ID...)
	return append(dst, `","typ":"JWT","version":"5"}`...)
}
