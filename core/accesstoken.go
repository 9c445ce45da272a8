package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
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
	expiry               time.Time      // exp as issued
	authTime             time.Time      // sign-in time (auth_time); never moved by refresh
	claims               map[string]any // full payload
}

// signAccess mints an access token for the session.
func (e *Engine) signAccess(userID, handle, rth1 string, authTime time.Time, custom map[string]any, now time.Time) (string, *verified, error) {
	key, err := e.cfg.Keys.SigningKey()
	if err != nil {
		return "", nil, fmt.Errorf("ratchet: no signing key: %w", err)
	}
	exp := now.Add(e.cfg.AccessTTL).Truncate(time.Second)
	claims := make(jwt.MapClaims, len(custom)+10)
	maps.Copy(claims, custom)
	claims["sub"] = userID
	claims["exp"] = exp.Unix()
	claims["iat"] = now.Unix()
	claims["sessionHandle"] = handle
	claims["refreshTokenHash1"] = rth1
	claims["parentRefreshTokenHash1"] = nil
	claims["antiCsrfToken"] = nil
	claims["tId"] = "public"
	claims["iss"] = e.cfg.Issuer
	claims["auth_time"] = authTime.Unix()
	if e.cfg.Audience != "" {
		claims["aud"] = e.cfg.Audience
	}
	t := jwt.NewWithClaims(jwt.GetSigningMethod(key.Algorithm), claims)
	t.Header["kid"] = key.ID
	t.Header["version"] = "5"
	s, err := t.SignedString(key.Private)
	if err != nil {
		return "", nil, fmt.Errorf("ratchet: signing access token: %w", err)
	}
	// Round-trip through JSON so the claims look exactly as a verifier would see them.
	var up map[string]any
	if raw, err := json.Marshal(claims); err == nil {
		_ = json.Unmarshal(raw, &up)
	}
	v := &verified{userID: userID, handle: handle, rth1: rth1, expiry: exp,
		authTime: time.Unix(authTime.Unix(), 0), claims: up}
	// Every token ends up in a cookie (ours in cookie mode, the SDK's st-access-token and
	// sFrontToken cookies in both modes) and in every later request's headers.
	front := frontToken(v)
	if n := e.tokenHeaderBytes(s, front); n > e.cfg.TokenHeaderBudget ||
		len(e.accessCookie)+1+len(s) > maxCookieBytes || len("sFrontToken")+1+len(front) > maxCookieBytes {
		return "", nil, fmt.Errorf("%w: they would add %d bytes to each request's headers, over Config.TokenHeaderBudget (%d)",
			ErrTokenTooLarge, n, e.cfg.TokenHeaderBudget)
	}
	return s, v, nil
}

// allowedHeader lists the only JOSE header members we accept. Anything else (crit, jwk, jku,
// x5u, x5c, cty, zip, …) is refused outright: keys are never taken from a token.
var allowedHeader = map[string]bool{"alg": true, "typ": true, "kid": true, "version": true}

// errMalformed marks tokens that are not structurally ours (unauthorised, not try-refresh).
var errMalformed = errors.New("malformed access token")

// precheck validates the compact form before any library code sees it: bounded size, exactly
// three base64url segments, a header with known members only and no duplicate JSON members.
func precheck(tok string) error {
	if len(tok) == 0 || len(tok) > maxAccessTokenLen {
		return errMalformed
	}
	dots := [2]int{-1, -1}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c == '.' {
			if n == 2 {
				return errMalformed
			}
			dots[n] = i
			n++
			continue
		}
		if !isB64URLByte(c) {
			return errMalformed
		}
	}
	if n != 2 || dots[0] == 0 || dots[1] == dots[0]+1 || dots[1] == len(tok)-1 {
		return errMalformed
	}
	strict := b64.Strict()
	hdr, err := strict.DecodeString(tok[:dots[0]])
	if err != nil || !utf8.Valid(hdr) || hasDuplicateMembers(hdr) {
		return errMalformed
	}
	var h map[string]any
	if err := json.Unmarshal(hdr, &h); err != nil {
		return errMalformed
	}
	for k := range h {
		if !allowedHeader[k] {
			return errMalformed
		}
	}
	if typ, _ := h["typ"].(string); typ != "JWT" {
		return errMalformed
	}
	if kid, _ := h["kid"].(string); !validKid(kid) {
		return errMalformed
	}
	payload, err := strict.DecodeString(tok[dots[0]+1 : dots[1]])
	if err != nil || !utf8.Valid(payload) || hasDuplicateMembers(payload) {
		return errMalformed
	}
	return nil
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

// hasDuplicateMembers reports whether any JSON object in doc repeats a member name, or doc is
// not valid JSON.
func hasDuplicateMembers(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type frame struct {
		obj  bool
		seen map[string]bool
		key  bool // next string token in an object is a key
	}
	var stack []*frame
	seenValue := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return len(stack) != 0 || !seenValue
		}
		if err != nil {
			return true
		}
		seenValue = true
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, seen: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.seen[v] {
					return true
				}
				top.seen[v] = true
				top.key = false
				continue
			}
			if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}

// verifyAccess checks an access token: the cache first, then the full verification.
func (e *Engine) verifyAccess(tok string) (*verified, error) {
	now := e.cfg.Clock.Now()
	var gen uint64
	if e.cache != nil {
		if v := e.cache.get(tok, now, e.cfg.ClockSkew); v != nil {
			e.cache.hits.Add(1)
			return v, nil
		}
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
	if err := precheck(tok); err != nil {
		return nil, unauthorised("malformed access token", true)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{AlgEdDSA, AlgES256, AlgRS256}),
		jwt.WithStrictDecoding(),
		jwt.WithIssuer(e.cfg.Issuer),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(e.cfg.ClockSkew),
		jwt.WithTimeFunc(e.cfg.Clock.Now),
	}
	if !allowExpired {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if e.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(e.cfg.Audience))
	}
	claims := jwt.MapClaims{}
	_, err := jwt.NewParser(opts...).ParseWithClaims(tok, claims, e.keyFor)
	if err != nil && !(allowExpired && onlyExpired(err)) {
		return nil, tryRefresh("access token rejected: " + err.Error())
	}
	v := &verified{claims: claims}
	var ok bool
	if v.userID, ok = claims["sub"].(string); !ok || v.userID == "" {
		return nil, tryRefresh("access token has no sub")
	}
	if v.handle, ok = claims["sessionHandle"].(string); !ok || !ValidHandle(v.handle) {
		return nil, tryRefresh("access token has no valid sessionHandle")
	}
	if v.rth1, ok = claims["refreshTokenHash1"].(string); !ok || len(v.rth1) != 64 {
		return nil, tryRefresh("access token has no valid refreshTokenHash1")
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return nil, tryRefresh("access token has no exp")
	}
	v.expiry = exp.Time
	if at, ok := claims["auth_time"].(float64); ok {
		v.authTime = time.Unix(int64(at), 0)
	}
	return v, nil
}

// onlyExpired reports whether exp was the token's only problem: the signature verified and
// every other claim passed.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return false
	}
	for _, other := range []error{jwt.ErrTokenMalformed, jwt.ErrTokenUnverifiable, jwt.ErrTokenSignatureInvalid,
		jwt.ErrTokenInvalidIssuer, jwt.ErrTokenUsedBeforeIssued, jwt.ErrTokenNotValidYet, jwt.ErrTokenInvalidId,
		jwt.ErrTokenInvalidSubject, jwt.ErrTokenInvalidAudience, jwt.ErrTokenRequiredClaimMissing} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}

// keyFor resolves kid to a key, binding the algorithm to the key rather than to the header.
func (e *Engine) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := e.cfg.Keys.VerificationKey(kid)
	if !ok {
		return nil, errors.New("unknown kid")
	}
	if t.Method == nil || t.Method.Alg() != k.Algorithm {
		return nil, errors.New("algorithm does not match key")
	}
	return k.Public, nil
}
