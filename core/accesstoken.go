package core

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"sync"
	"time"
)

// maxAccessTokenLen bounds every access token we parse. Ours are far smaller; a cookie cannot
// exceed 4 KiB anyway.
const maxAccessTokenLen = 16 << 10

// Claim names the engine owns. Custom payloads may not set them.
var protectedClaims = map[string]bool{
	"sub": true, "exp": true, "iat": true, "nbf": true, "jti": true, "aud": true, "iss": true,
	"sessionHandle": true, "refreshTokenHash1": true, "parentRefreshTokenHash1": true,
	"antiCsrfToken": true, "tId": true, "rsub": true, "auth_time": true,
}

// ErrTokenTooLarge is returned when the custom payload would make the session's tokens too
// large for the requests that carry them (Config.TokenHeaderBudget) or for a browser cookie
// (4096 bytes for name and value). Browsers drop oversized cookies silently, and servers
// refuse oversized headers (431), either of which would sign the user out. The sign-in and
// payload routes answer it with 413.
var ErrTokenTooLarge = errors.New("ratchet: the session's tokens would be too large; keep custom claims small")

// maxCookieBytes is RFC 6265bis' limit for a cookie's name plus value.
const maxCookieBytes = 4096

// DefaultTokenHeaderBudget is the default of Config.TokenHeaderBudget. With
// TokenHeaderHeadroom it fills a 4 KiB request-header buffer (fasthttp's and so Fiber's
// default ReadBufferSize).
const DefaultTokenHeaderBudget = 2816

// TokenHeaderHeadroom is what a server's header limit must hold beyond TokenHeaderBudget: the
// request line and every other header a browser sends (User-Agent, Accept-*, Sec-Fetch-*,
// Origin, Referer, the app's own cookies). Adapters whose framework has a small default
// header limit check it at Mount.
const TokenHeaderHeadroom = 1280

// tokenHeaderBytes is the most a request can carry of one session's tokens, with the SDK's
// frontend cookies: in cookie mode the access cookie and sFrontToken; in header mode the
// Authorization header plus the st-access-token and sFrontToken cookies that the SDK keeps
// on the website's origin (sent along when the API shares it). The refresh token is sent
// instead of the access token on refresh, and is far smaller, so it never decides the maximum.
func (e *Engine) tokenHeaderBytes(access, front string) int {
	cookieMode := len(e.accessCookie) + 1 + len(access) + len("; sFrontToken=") + len(front)
	headerMode := len("Authorization: Bearer ") + len(access) + len("; st-access-token=") + len(access) +
		len("; sFrontToken=") + len(front) + len("; st-refresh-token=") + refreshTokenLen
	return max(cookieMode, headerMode)
}

// ErrProtectedClaim is returned when a custom payload tries to set an engine-owned claim.
var ErrProtectedClaim = errors.New("ratchet: payload sets a protected claim")

func checkCustomPayload(p map[string]any) error {
	for k := range p {
		if protectedClaims[k] {
			return fmt.Errorf("%w: %q", ErrProtectedClaim, k)
		}
	}
	return nil
}

// verified is a successfully verified access token. It is shared through the verify cache and
// must be treated as read-only.
type verified struct {
	userID, handle, rth1 string
	expiry               time.Time // exp as issued
	authTime             time.Time // sign-in time (auth_time); never moved by refresh
	payload              string    // the payload JSON as signed: claims() decodes it
	front                string    // the front-token, when this process signed the token

	claimsOnce sync.Once
	claimsMap  map[string]any // full payload, decoded on first use
}

// claims returns the full payload, as encoding/json decodes it into a map (numbers are
// float64). It is decoded on first use, because the verify path itself needs only the fields
// above; sync.Once makes that safe for a verified shared through the cache. The map must
// not be modified.
func (v *verified) claims() map[string]any {
	v.claimsOnce.Do(func() {
		if v.claimsMap != nil || v.payload == "" {
			return
		}
		var m map[string]any
		if json.Unmarshal([]byte(v.payload), &m) == nil {
			v.claimsMap = m
		}
	})
	return v.claimsMap
}

// signAccess mints an access token for the session. The payload JSON is encoded once and
// signed once; the front-token embeds the same bytes, and claims() decodes them only if read.
// Payload, token and front-token are built side by side in one buffer and become one
// string, sliced three ways: one allocation for the three.
func (e *Engine) signAccess(userID, handle, rth1 string, authTime time.Time, custom map[string]any, now time.Time) (string, *verified, error) {
	key, err := e.cfg.Keys.SigningKey()
	if err != nil {
		return "", nil, fmt.Errorf("ratchet: no signing key: %w", err)
	}
	if !supportedAlg(key.Algorithm) || !validKid(key.ID) {
		return "", nil, fmt.Errorf("ratchet: signing key %q (%s) is not usable", key.ID, key.Algorithm)
	}
	exp := now.Add(e.cfg.AccessTTL).Truncate(time.Second)
	var stack [4096]byte
	buf, err := e.appendAccessPayload(stack[:0], userID, handle, rth1, exp.Unix(), now.Unix(), authTime.Unix(), custom)
	if err != nil {
		return "", nil, fmt.Errorf("ratchet: signing access token: %w", err)
	}
	pn := len(buf)

	var hstack [160]byte
	hdr := appendJOSEHeader(hstack[:0], key)
	buf = b64.AppendEncode(buf, hdr)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, buf[:pn])
	buf, err = appendJWSSignature(buf, pn, key)
	if err != nil {
		return "", nil, fmt.Errorf("ratchet: signing access token: %w", err)
	}
	tn := len(buf) - pn

	var fstack [2048]byte
	front := appendFrontJSON(fstack[:0], userID, exp, buf[:pn])
	buf = base64.StdEncoding.AppendEncode(buf, front)

	text := string(buf)
	tok := text[pn : pn+tn]
	v := &verified{userID: userID, handle: handle, rth1: rth1, expiry: exp,
		authTime: time.Unix(authTime.Unix(), 0), payload: text[:pn], front: text[pn+tn:]}
	// Every token ends up in a cookie (ours in cookie mode, the SDK's st-access-token and
	// sFrontToken cookies in both modes) and in every later request's headers.
	if n := e.tokenHeaderBytes(tok, v.front); n > e.cfg.TokenHeaderBudget ||
		len(e.accessCookie)+1+len(tok) > maxCookieBytes || len("sFrontToken")+1+len(v.front) > maxCookieBytes {
		return "", nil, fmt.Errorf("%w: they would add %d bytes to each request's headers, over Config.TokenHeaderBudget (%d)",
			ErrTokenTooLarge, n, e.cfg.TokenHeaderBudget)
	}
	return tok, v, nil
}

// appendAccessPayload appends the access token's payload JSON: the engine's claims (the
// SuperTokens v5 set) and then the custom ones, encoded by encoding/json as one object. A
// custom claim with an engine-owned name is dropped (the engine's value wins, as it always
// did); the public entry points refuse such payloads before they get here (ErrProtectedClaim).
func (e *Engine) appendAccessPayload(dst []byte, userID, handle, rth1 string, exp, iat, authTime int64, custom map[string]any) ([]byte, error) {
	dst = append(dst, `{"sub":`...)
	dst = appendJSONString(dst, userID)
	dst = append(dst, `,"exp":`...)
	dst = strconv.AppendInt(dst, exp, 10)
	dst = append(dst, `,"iat":`...)
	dst = strconv.AppendInt(dst, iat, 10)
	dst = append(dst, `,"auth_time":`...)
	dst = strconv.AppendInt(dst, authTime, 10)
	dst = append(dst, `,"sessionHandle":`...)
	dst = appendJSONString(dst, handle)
	dst = append(dst, `,"refreshTokenHash1":`...)
	dst = appendJSONString(dst, rth1)
	dst = append(dst, `,"parentRefreshTokenHash1":null,"antiCsrfToken":null,"tId":"public","iss":`...)
	dst = appendJSONString(dst, e.cfg.Issuer)
	if e.cfg.Audience != "" {
		dst = append(dst, `,"aud":`...)
		dst = appendJSONString(dst, e.cfg.Audience)
	}
	if len(custom) == 0 {
		return append(dst, '}'), nil
	}
	if checkCustomPayload(custom) != nil {
		custom = maps.Clone(custom)
		maps.DeleteFunc(custom, func(k string, _ any) bool { return protectedClaims[k] })
	}
	raw, err := json.Marshal(custom)
	if err != nil {
		return nil, err
	}
	if len(raw) <= 2 { // {}
		return append(dst, '}'), nil
	}
	dst = append(dst, ',')
	return append(dst, raw[1:]...), nil // the members and the closing brace
}

// looksLikeJWS is the cheap shape test used to pick a transport: bounded length, base64url
// alphabet and exactly two dots. It decodes nothing; precheck does the full job later.
func looksLikeJWS(tok string) bool {
	if len(tok) == 0 || len(tok) > maxAccessTokenLen {
		return false
	}
	dots := 0
	for i := 0; i < len(tok); i++ {
		switch c := tok[i]; {
		case c == '.':
			dots++
		case !isB64URLByte(c):
			return false
		}
	}
	return dots == 2
}

// verifyAccess checks an access token: the cache first, then the full verification.
func (e *Engine) verifyAccess(tok string) (*verified, error) {
	if v := e.cachedAccess(tok); v != nil {
		return v, nil
	}
	return e.verifyAndCache(tok)
}

// verifyAndCache verifies a token the cache does not hold (counted as a miss) and caches it.
func (e *Engine) verifyAndCache(tok string) (*verified, error) {
	var gen uint64
	if e.cache != nil {
		e.cache.misses.Add(1)
		gen = e.cache.generation()
	}
	v, err := e.verifyAccessUncached(tok, false)
	if err != nil {
		return nil, err
	}
	if e.cache != nil {
		e.cache.putIfGen(tok, v, gen)
	}
	return v, nil
}

// verifyAccessUncached verifies signature and claims. With allowExpired, an expired but
// otherwise valid token is accepted (used only to revoke tokens presented at sign-in).
func (e *Engine) verifyAccessUncached(tok string, allowExpired bool) (*verified, error) {
	v, r := e.checkAccessToken(tok, allowExpired, e.cfg.Clock.Now())
	if r != nil {
		if r.malformed {
			return nil, unauthorised("malformed access token: "+r.check, true)
		}
		return nil, tryRefresh("access token rejected: " + r.check)
	}
	return v, nil
}

// checkAccessToken is the whole verification, in the order the checks always ran: the
// compact form, the header allow-list and the payload's JSON (malformed), then the
// algorithm, the key, the signature and the claims.
func (e *Engine) checkAccessToken(tok string, allowExpired bool, now time.Time) (*verified, *refusal) {
	t, r := splitJWS(tok)
	if r != nil {
		return nil, r
	}
	h, r := parseJOSEHeader(t.header)
	if r != nil {
		return nil, r
	}
	if !validJSON(t.payload) {
		return nil, refusePayloadJSON
	}
	members, ok := newMemberIter(t.payload)
	if !ok {
		return nil, refusePayloadShape
	}
	if !supportedAlg(h.alg) {
		return nil, refuseAlg
	}
	var sbuf [maxJWSSignatureLen]byte
	sig, ok := decodeSignature(t.sigSegment, sbuf[:])
	if !ok {
		return nil, refuseSigBase64
	}
	// The algorithm is the key's: a header may only name it, never choose it.
	key, ok := e.cfg.Keys.VerificationKey(h.kid)
	if !ok || key == nil {
		return nil, refuseUnknownKid
	}
	if key.Algorithm != h.alg {
		return nil, refuseKeyAlg
	}
	if !verifyJWS(key.Algorithm, key.Public, t.signingInput, sig) {
		return nil, refuseSignature
	}
	return e.checkClaims(members, t.payload, allowExpired, now)
}

// accessClaims are the raw JSON values of the payload members the engine reads ("" when
// absent: a present value is never empty).
type accessClaims struct {
	sub, exp, iat, nbf, iss, aud, handle, rth1, authTime string
}

// checkClaims applies golang-jwt's MapClaims rules (issuer, audience, iat, nbf, exp with
// Config.ClockSkew as leeway) and the engine's own (sub, sessionHandle, refreshTokenHash1,
// auth_time). Expiry is judged last, so that with allowExpired it is the only check that may
// fail.
func (e *Engine) checkClaims(it memberIter, payload string, allowExpired bool, now time.Time) (*verified, *refusal) {
	var c accessClaims
	for {
		name, value, ok := it.next()
		if !ok {
			break
		}
		switch name {
		case "sub":
			c.sub = value
		case "exp":
			c.exp = value
		case "iat":
			c.iat = value
		case "nbf":
			c.nbf = value
		case "iss":
			c.iss = value
		case "aud":
			c.aud = value
		case "sessionHandle":
			c.handle = value
		case "refreshTokenHash1":
			c.rth1 = value
		case "auth_time":
			c.authTime = value
		}
	}
	skew := e.cfg.ClockSkew
	if iss, ok := jsonString(c.iss); !ok || iss == "" || iss != e.cfg.Issuer {
		return nil, refuseIss
	}
	if e.cfg.Audience != "" && !audienceHas(c.aud, e.cfg.Audience) {
		return nil, refuseAud
	}
	if iat, present, ok := numericDate(c.iat); !ok || present && now.Before(iat.Add(-skew)) {
		return nil, refuseIat
	}
	if nbf, present, ok := numericDate(c.nbf); !ok || present && now.Before(nbf.Add(-skew)) {
		return nil, refuseNbf
	}
	v := &verified{payload: payload}
	var ok bool
	if v.userID, ok = jsonString(c.sub); !ok || v.userID == "" {
		return nil, refuseSub
	}
	if v.handle, ok = jsonString(c.handle); !ok || !ValidHandle(v.handle) {
		return nil, refuseHandle
	}
	if v.rth1, ok = jsonString(c.rth1); !ok || len(v.rth1) != 64 {
		return nil, refuseRTH1
	}
	if c.authTime != "" {
		at, ok := jsonNumber(c.authTime)
		if !ok || math.Abs(at) > maxNumericDate {
			return nil, refuseAuthTime
		}
		v.authTime = time.Unix(int64(at), 0)
	}
	exp, present, ok := numericDate(c.exp)
	if !ok || !present {
		return nil, refuseExp
	}
	if !allowExpired && !now.Before(exp.Add(skew)) {
		return nil, refuseExpired
	}
	v.expiry = exp
	return v, nil
}

// maxNumericDate bounds date claims (2^53 s, some 285 million years): golang-jwt converts
// larger values with an overflowing float-to-int conversion; we refuse them.
const maxNumericDate = 1 << 53

// numericDate reads a date claim as golang-jwt's MapClaims does: absent or 0 means absent,
// any other JSON number is whole seconds (rounded down); anything else is refused.
func numericDate(raw string) (t time.Time, present, ok bool) {
	if raw == "" {
		return time.Time{}, false, true
	}
	f, ok := jsonNumber(raw)
	if !ok || math.Abs(f) > maxNumericDate {
		return time.Time{}, false, false
	}
	if f == 0 {
		return time.Time{}, false, true
	}
	return time.Unix(int64(math.Floor(f)), 0), true, true
}

// audienceHas applies golang-jwt's audience rule: aud is a string or an array of strings
// (any other element refuses the token), and one of them is want; absent, empty, [""] or
// another JSON type is a missing audience.
func audienceHas(raw, want string) bool {
	if s, ok := jsonString(raw); ok {
		return s != "" && s == want
	}
	if raw == "" || raw[0] != '[' {
		return false
	}
	var list []any
	if json.Unmarshal([]byte(raw), &list) != nil {
		return false
	}
	found := false
	for _, a := range list {
		s, ok := a.(string)
		if !ok {
			return false
		}
		found = found || s == want
	}
	return found // want is never "", so [""] never has it
}
