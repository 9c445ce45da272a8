package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// VerifyOptions tune GetSession and Verify.
type VerifyOptions struct {
	// Optional: a request without any token yields a nil session instead of 401. An invalid or
	// expired token is still an error.
	Optional bool
	// CheckDatabase reads the session row, so revocation takes effect immediately. It also
	// requires the token to belong to the current or previous refresh token.
	CheckDatabase bool
	// Validators run against the payload after verification.
	Validators []ClaimValidator
	// SkipCSRF disables the anti-CSRF check for this route. Use only for routes that do not
	// change state.
	SkipCSRF bool
}

// Session is a verified session, valid for one request.
type Session struct {
	e     *Engine
	mu    sync.Mutex
	v     *verified
	token string
	tx    txContext // where re-issued tokens go; tx.resp is nil when not attached
}

// VerifyAccessToken checks an access token without any request or response (for gRPC, websockets, jobs).
func (e *Engine) VerifyAccessToken(ctx context.Context, accessToken string, opts VerifyOptions) (*Session, error) {
	v, err := e.verifyAccess(accessToken)
	if err != nil {
		return nil, err
	}
	if e.revoked.has(v.handle) {
		return nil, unauthorised("session revoked", true)
	}
	if opts.CheckDatabase {
		if err := e.checkLive(ctx, v); err != nil {
			return nil, err
		}
	}
	if len(opts.Validators) > 0 { // claims() decodes the payload on first use: only when read
		if fails := runValidators(opts.Validators, v.claims()); len(fails) > 0 {
			return nil, &Error{Kind: ErrInvalidClaim, Claims: fails, UserID: v.userID, Handle: v.handle}
		}
	}
	return &Session{e: e, v: v, token: accessToken}, nil
}

// checkLive is the strict check, inside an admission slot: the row is live and the token is
// on its remembered lineage.
func (e *Engine) checkLive(ctx context.Context, v *verified) (err error) {
	ctx, end := e.startOp(ctx, OpVerifyStrict)
	defer func() { end(err) }()
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return err
	}
	defer release()
	rec, err := e.store.Get(ctx, v.handle)
	if errors.Is(err, ErrNotFound) {
		return unauthorised("session not found", true)
	}
	if err != nil {
		return storeErr("get", err)
	}
	if !rec.Live(e.cfg.Clock.Now()) || rec.UserID != v.userID {
		return unauthorised("session revoked or expired", true)
	}
	if !e.onLineage(rec, v.rth1) {
		return unauthorised("access token from a rotated-out lineage", true)
	}
	return nil
}

// UserID returns the session's user.
func (s *Session) UserID() string { return s.current().userID }

// Handle returns the public session id.
func (s *Session) Handle() string { return s.current().handle }

// AccessToken returns the access token this session was verified from (or last re-issued).
func (s *Session) AccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// AuthTime is when the user signed in to this session (the auth_time claim). Refreshes never
// move it; signing in again creates a new session with a new AuthTime.
func (s *Session) AuthTime() time.Time { return s.current().authTime }

// Expiry returns the access token's exp.
func (s *Session) Expiry() time.Time { return s.current().expiry }

// Claim returns one claim of the access-token payload. Arrays and objects are returned as
// copies: the verified claims are cached and shared by every request with the same token, so
// a caller must never be able to change what the next request sees.
func (s *Session) Claim(name string) any { return cloneJSON(s.current().claims()[name]) }

// Payload returns a deep copy of the full access-token payload.
func (s *Session) Payload() map[string]any {
	return cloneJSON(s.current().claims()).(map[string]any)
}

// cloneJSON deep-copies a decoded JSON value (objects, arrays and scalars).
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneJSON(x)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, x := range v {
			a[i] = cloneJSON(x)
		}
		return a
	case []string:
		return slices.Clone(v)
	}
	return v
}

func (s *Session) current() *verified {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.v
}

// Data returns the server-side session data. A revoked or expired session is ErrUnauthorised.
func (s *Session) Data(ctx context.Context) (map[string]any, error) {
	ctx, release, err := s.e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rec, err := s.e.liveRecord(ctx, s.current().handle)
	if errors.Is(err, ErrNotFound) {
		return nil, unauthorised("session revoked or expired", true)
	}
	if err != nil {
		return nil, err
	}
	return decodeObject(rec.Data)
}

// SetData replaces the session data, only if the session is still live.
func (s *Session) SetData(ctx context.Context, data map[string]any) error {
	return s.UpdateData(ctx, func(m map[string]any) error {
		clear(m)
		maps.Copy(m, data)
		return nil
	})
}

// UpdateData applies fn to the session data atomically: fn may run more than once if another
// request changes the data concurrently, and the write never lands on a revoked or expired
// session (R6). An error from fn aborts without writing.
func (s *Session) UpdateData(ctx context.Context, fn func(data map[string]any) error) error {
	return s.e.UpdateData(ctx, s.current().handle, fn)
}

// UpdateData is Session.UpdateData by handle.
func (e *Engine) UpdateData(ctx context.Context, handle string, fn func(data map[string]any) error) error {
	_, err := e.casUpdate(ctx, handle, func(rec *Record) (Change, error) {
		m, err := decodeObject(rec.Data)
		if err != nil {
			return Change{}, err
		}
		if err := fn(m); err != nil {
			return Change{}, err
		}
		b, err := encodeObject(m)
		if err != nil {
			return Change{}, err
		}
		return Change{Data: b}, e.checkDataSize(b)
	})
	return err
}

// MergePayload merges update into the session's custom access-token claims (a nil value deletes
// a key) and, when the session is attached to a response, re-issues the access token and
// front-token on it.
func (s *Session) MergePayload(ctx context.Context, update map[string]any) error {
	cur := s.current() // s.v is replaced under s.mu by concurrent MergePayload calls
	rec, err := s.e.mergePayload(ctx, cur.handle, update)
	if err != nil {
		return err
	}
	now := s.e.cfg.Clock.Now()
	custom, err := decodeObject(rec.Payload)
	if err != nil {
		return err
	}
	at, v, err := s.e.signAccess(cur.userID, cur.handle, cur.rth1, rec.CreatedAt, custom, now)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.v, s.token = v, at
	tx := s.tx
	s.mu.Unlock()
	if tx.resp != nil {
		s.e.writeAccess(tx, at, v, rec.ExpiresAt)
	}
	return nil
}

// MergePayload is Session.MergePayload by handle, without re-issuing a token: the new claims
// appear at the session's next refresh. It returns the session as updated (never its secret
// or token hashes).
func (e *Engine) MergePayload(ctx context.Context, handle string, update map[string]any) (*SessionInfo, error) {
	rec, err := e.mergePayload(ctx, handle, update)
	if err != nil {
		return nil, err
	}
	info := e.info(rec, true)
	return &info, nil
}

// mergePayload is MergePayload returning the updated record, for the engine's own use.
func (e *Engine) mergePayload(ctx context.Context, handle string, update map[string]any) (*Record, error) {
	for k := range update {
		if protectedClaims[k] {
			return nil, checkCustomPayload(update)
		}
	}
	return e.casUpdate(ctx, handle, func(rec *Record) (Change, error) {
		m, err := decodeObject(rec.Payload)
		if err != nil {
			return Change{}, err
		}
		for k, v := range update {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		// Refuse, before writing, a payload whose token would not fit in a cookie.
		if _, _, err := e.signAccess(rec.UserID, rec.Handle, sizingHash, rec.CreatedAt, m, e.cfg.Clock.Now()); err != nil {
			return Change{}, err
		}
		b, err := encodeObject(m)
		return Change{Payload: b}, err
	})
}

// ErrDataTooLarge is returned when a write would make a session's data larger than
// Config.MaxSessionDataBytes; nothing is written. The library routes answer it with 413, and
// so does WriteError. Session data is read on every Data call: keep it small, and put bulk
// content in the app's own tables.
var ErrDataTooLarge = errors.New("ratchet: session data too large")

func (e *Engine) checkDataSize(b []byte) error {
	if len(b) > e.cfg.MaxSessionDataBytes {
		return fmt.Errorf("%w: %d bytes, over Config.MaxSessionDataBytes (%d)", ErrDataTooLarge, len(b), e.cfg.MaxSessionDataBytes)
	}
	return nil
}

// sizingHash stands in for refreshTokenHash1 when a token is signed only to measure it.
var sizingHash = strings.Repeat("0", 64)

// casAttempts bounds casUpdate's retries. An attempt fails only when another writer's update
// landed between our read and our write, so N requests that each write once all succeed
// within N attempts. 16 was too few for 32 concurrent appends (storetest.StoreSuite).
const casAttempts = 64

// casUpdate runs a version-checked read-modify-write on a live record, retrying on conflicts.
func (e *Engine) casUpdate(ctx context.Context, handle string, build func(*Record) (Change, error)) (*Record, error) {
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	for range casAttempts {
		rec, err := e.liveRecord(ctx, handle)
		if errors.Is(err, ErrNotFound) {
			return nil, unauthorised("session revoked or expired", true)
		}
		if err != nil {
			return nil, err
		}
		ch, err := build(rec)
		if err != nil {
			return nil, err
		}
		ok, err := e.store.Update(ctx, handle, Cond{LiveAt: e.cfg.Clock.Now(), Version: rec.Version}, ch)
		if err != nil {
			return nil, storeErr("update", err)
		}
		if ok {
			if ch.Data != nil {
				rec.Data = ch.Data
			}
			if ch.Payload != nil {
				rec.Payload = ch.Payload
			}
			rec.Version++
			e.facts.remember(rec)
			return rec, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("ratchet: session data is changing too fast; gave up after %d attempts", casAttempts)
}

// Revoke ends the session and, when attached to a response, clears its tokens.
func (s *Session) Revoke(ctx context.Context) error {
	if _, err := s.e.RevokeSession(ctx, s.current().handle); err != nil {
		return err
	}
	s.mu.Lock()
	tx := s.tx
	s.mu.Unlock()
	if tx.resp != nil {
		s.e.clearTokens(tx.resp)
	}
	return nil
}
