package core

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(req Request) string {
	h := req.Header("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// accessTokenFrom picks the access token: a well-formed Bearer token first, then the cookie.
// dup reports several cookies with the access cookie's exact name. The token's verify-cache
// entry, if any, is returned as cached: only verified tokens are cached, so a hit on a Bearer
// token proves its shape without a scan of every byte (the largest cost of a warm request).
func (e *Engine) accessTokenFrom(req Request) (tok string, tm TransferMethod, cached *verified, dup bool) {
	if b := bearer(req); b != "" {
		if v := e.cachedAccess(b); v != nil {
			return b, TransferHeader, v, false
		}
		if looksLikeJWS(b) {
			return b, TransferHeader, nil, false
		}
	}
	v, n := cookieValue(req.CookieHeader(), e.accessCookie)
	if n > 1 {
		return "", TransferCookie, nil, true
	}
	if n == 1 && v != "" {
		return v, TransferCookie, e.cachedAccess(v), false
	}
	return "", 0, nil, false
}

// refreshTokenFrom picks the refresh token: Bearer (header mode) first, then the cookie.
func (e *Engine) refreshTokenFrom(req Request) (tok string, tm TransferMethod, dup bool) {
	if b := bearer(req); b != "" {
		if _, ok := parseRefreshToken(b); ok {
			return b, TransferHeader, false
		}
	}
	v, n := cookieValue(req.CookieHeader(), e.refreshCookie)
	if n > 1 {
		return "", TransferCookie, true
	}
	if n == 1 && v != "" {
		return v, TransferCookie, false
	}
	return "", 0, false
}

// GetSession verifies the request's access token. With opts.Optional and no token at all it
// returns (nil, nil). The session is attached to resp, so MergePayload and Revoke update the
// client's tokens on this response.
func (e *Engine) GetSession(ctx context.Context, req Request, resp Response, opts VerifyOptions) (*Session, error) {
	tok, tm, v, dup := e.accessTokenFrom(req)
	if dup {
		return nil, tryRefresh("duplicate access-token cookies")
	}
	if tok == "" {
		if opts.Optional {
			return nil, nil
		}
		return nil, unauthorised("no access token", false)
	}
	if err := e.checkCSRF(req, tm, opts.SkipCSRF); err != nil {
		e.emitCSRF(ctx, req, err)
		return nil, err
	}
	if v == nil { // accessTokenFrom asked the cache already
		var err error
		if v, err = e.verifyAndCache(tok); err != nil {
			return nil, err
		}
	}
	if e.revoked.has(v.handle) {
		return nil, unauthorised("session revoked", true)
	}
	if opts.CheckDatabase {
		if err := e.checkLive(ctx, v); err != nil {
			return nil, err
		}
	}
	if len(opts.Validators) > 0 {
		if fails := runValidators(opts.Validators, v.claims()); len(fails) > 0 {
			return nil, &Error{Kind: ErrInvalidClaim, Claims: fails, UserID: v.userID, Handle: v.handle}
		}
	}
	return &Session{e: e, v: v, token: tok, tx: txContext{resp: resp, transfer: tm}}, nil
}

// CreateSession signs userID in: it creates a new session, revokes any session whose tokens
// the request carries (fixation), and writes the new session's tokens in the transfer method
// the client asked for with st-auth-mode (header when absent).
//
// It fails closed and never half-done: a store error leaves either the old state (presented
// sessions live, no new session delivered) or the new one (presented sessions revoked, new
// tokens written), never a revoked session without a new one, and never a skipped revoke.
// (If the store cannot end the new session either, it stays behind as a session whose tokens
// nobody ever received, listed among the user's devices until it expires.)
func (e *Engine) CreateSession(ctx context.Context, req Request, resp Response, userID string, opts CreateOptions) (*Session, error) {
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	// 1. Which sessions the request presents. Telling a genuine refresh token from a forged
	// one needs the store; if it cannot answer, nothing has happened yet.
	presented, err := e.presentedHandles(ctx, req)
	if err != nil {
		return nil, err
	}
	tm := TransferHeader
	if strings.EqualFold(strings.TrimSpace(req.Header(HeaderAuthMode)), "cookie") {
		tm = TransferCookie
	}
	if opts.IP == "" {
		opts.IP = e.clientIP(req)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = userAgent(req)
	}
	// 2. The new session. If it cannot be stored, the presented sessions are untouched.
	t, err := e.IssueTokens(ctx, userID, opts)
	if err != nil {
		return nil, err
	}
	// 3. The presented sessions end. If that fails, the new session ends too (its tokens
	// have not left the server) and the sign-in fails: the presented sessions stay as they were.
	if err := e.revokeFixation(ctx, req, presented); err != nil {
		if _, rerr := e.store.Update(ctx, t.Handle, Cond{}, Change{Revoke: true}); rerr == nil {
			e.noteRevoked(t.Handle)
		}
		return nil, err
	}
	tx := txContext{resp: resp, transfer: tm}
	e.writeTokens(tx, t, req)
	return &Session{e: e, v: t.claims, token: t.AccessToken, tx: tx}, nil
}

// presentedHandles lists the sessions behind any genuine tokens sent with a sign-in, so a
// token planted before authentication can never be promoted into an authenticated session.
// Forged tokens name no session; a store that cannot say whether a refresh token is genuine
// is an error.
func (e *Engine) presentedHandles(ctx context.Context, req Request) ([]presentedSession, error) {
	var handles []presentedSession
	add := func(h, userID string) {
		if !slices.ContainsFunc(handles, func(p presentedSession) bool { return p.handle == h }) {
			handles = append(handles, presentedSession{handle: h, userID: userID})
		}
	}
	addRefresh := func(tok string) error {
		rt, ok := parseRefreshToken(tok)
		if !ok {
			return nil
		}
		rec, err := e.store.Get(ctx, rt.handle)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return storeErr("get", err)
		}
		if rt.validTag(rec.Secret) {
			add(rt.handle, rec.UserID)
		}
		return nil
	}
	if b := bearer(req); b != "" {
		if v, err := e.verifyAccessUncached(b, true); err == nil {
			add(v.handle, v.userID)
		} else if err := addRefresh(b); err != nil {
			return nil, err
		}
	}
	if v, n := cookieValue(req.CookieHeader(), e.accessCookie); n == 1 {
		if at, err := e.verifyAccessUncached(v, true); err == nil {
			add(at.handle, at.userID)
		}
	}
	if v, n := cookieValue(req.CookieHeader(), e.refreshCookie); n == 1 {
		if err := addRefresh(v); err != nil {
			return nil, err
		}
	}
	return handles, nil
}

// presentedSession is a session behind a genuine token sent with a sign-in.
type presentedSession struct{ handle, userID string }

// revokeFixation revokes the presented sessions, stopping at the first store error.
func (e *Engine) revokeFixation(ctx context.Context, req Request, presented []presentedSession) error {
	for _, p := range presented {
		ok, err := e.RevokeSession(ctx, p.handle)
		if err != nil {
			return err
		}
		if ok {
			e.emit(ctx, SecurityEvent{Type: EventFixationReset, Time: e.cfg.Clock.Now(), UserID: p.userID, Handle: p.handle,
				IP: e.clientIP(req), UserAgent: userAgent(req), Reason: "token presented at sign-in"})
		}
	}
	return nil
}

// RefreshSession serves the refresh protocol: it rotates the request's refresh token and writes
// the new tokens in the transfer method the token came in.
func (e *Engine) RefreshSession(ctx context.Context, req Request, resp Response) (*Session, error) {
	ctx, _ = e.arrival(ctx)
	tok, tm, dup := e.refreshTokenFrom(req)
	if tm != TransferHeader && !e.originAllowed(req) {
		// No token, or cookies, from another site: a cross-site form POST is a top-level
		// navigation, so SameSite=Lax leaves the cookies out of it while the browser still
		// applies the Set-Cookie of the answer. Answering "unauthorised" with a clear would let
		// any site log the user out; refuse it, changing nothing.
		err := &Error{Kind: ErrCSRF, Reason: "refresh from a disallowed origin"}
		e.emitCSRF(ctx, req, err)
		return nil, err
	}
	if dup {
		return nil, unauthorised("duplicate refresh-token cookies", true)
	}
	if tok == "" {
		return nil, unauthorised("no refresh token", true)
	}
	if err := e.checkCSRF(req, tm, false); err != nil {
		e.emitCSRF(ctx, req, err)
		return nil, err
	}
	ip := e.clientIP(req)
	// Reserved before the store work, given back unless the token was unknown, forged, dead
	// or stolen: only those count as guessing. A throttled client never takes a slot.
	wait, reserved := e.reserve(ctx, e.refreshLimits(ip)...)
	if wait > 0 {
		return nil, &Error{Kind: ErrRateLimited, Reason: "too many failed refreshes from " + ip, RetryAfter: wait}
	}
	ctx, release, err := e.admit(ctx)
	if err != nil {
		e.refund(ctx, reserved)
		return nil, err
	}
	defer release()
	t, err := e.RefreshTokens(ctx, tok, RefreshMeta{IP: ip, UserAgent: userAgent(req)})
	if err == nil || !(errors.Is(err, ErrUnauthorised) || errors.Is(err, ErrTokenTheft)) {
		e.refund(ctx, reserved)
	}
	if err != nil {
		return nil, err
	}
	tx := txContext{resp: resp, transfer: tm}
	e.writeTokens(tx, t, req)
	return &Session{e: e, v: t.claims, token: t.AccessToken, tx: tx}, nil
}

func (e *Engine) emitCSRF(ctx context.Context, req Request, err *Error) {
	e.emit(ctx, SecurityEvent{Type: EventCSRFRejected, Time: e.cfg.Clock.Now(), IP: e.clientIP(req),
		UserAgent: userAgent(req), Reason: err.Reason})
}

// Pre-encoded bodies of the protocol's fixed responses.
var (
	bodyUnauthorised = []byte(`{"message":"unauthorised"}`)
	bodyTryRefresh   = []byte(`{"message":"try refresh token"}`)
	bodyTheft        = []byte(`{"message":"token theft detected"}`)
	bodyCSRF         = []byte(`{"message":"anti-csrf check failed"}`)
	bodyForbidden    = []byte(`{"message":"forbidden"}`)
	bodyStore        = []byte(`{"message":"session store unavailable"}`)
	bodyInternal     = []byte(`{"message":"internal error"}`)
	bodyRateLimited  = []byte(`{"message":"too many requests"}`)
)

const contentJSON = "application/json; charset=utf-8"

// setRetryAfter sends Retry-After as whole seconds, rounded up, at least 1.
func setRetryAfter(resp Response, d time.Duration) {
	secs := int64((d + time.Second - 1) / time.Second)
	resp.SetHeader("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}
