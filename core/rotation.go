package core

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"
)

// RefreshMeta describes the client presenting a refresh token, for security events.
type RefreshMeta struct{ IP, UserAgent string }

// RefreshTokens rotates a refresh token and returns the next tokens. It implements the state machine
// of docs/ROTATION.md: the errors it returns wrap ErrUnauthorised, ErrTokenTheft or ErrStore.
func (e *Engine) RefreshTokens(ctx context.Context, token string, meta RefreshMeta) (t *Tokens, err error) {
	ctx, end := e.startOp(ctx, OpRefresh)
	defer func() { end(err) }()
	return e.refreshTokens(ctx, token, meta)
}

func (e *Engine) refreshTokens(ctx context.Context, token string, meta RefreshMeta) (*Tokens, error) {
	ctx, arrived := e.arrival(ctx)
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	meta.IP, meta.UserAgent = cleanClientString(meta.IP, maxIPBytes), cleanClientString(meta.UserAgent, maxUserAgentBytes)
	rt, ok := parseRefreshToken(token)
	if !ok {
		e.emit(ctx, SecurityEvent{Type: EventUnknownToken, Time: e.cfg.Clock.Now(), IP: meta.IP, UserAgent: meta.UserAgent,
			Reason: "malformed refresh token"})
		return nil, unauthorised("malformed refresh token", true)
	}
	presented := hash2(token)
	if t, done, err := e.rotateKnown(ctx, &rt, presented, meta); done {
		return t, err
	}
	rec, err := e.store.Get(ctx, rt.handle)
	if err == nil {
		e.facts.remember(rec)
	}
	if errors.Is(err, ErrNotFound) {
		e.emit(ctx, SecurityEvent{Type: EventUnknownToken, Time: e.cfg.Clock.Now(), IP: meta.IP, UserAgent: meta.UserAgent,
			Reason: "refresh token for a session that does not exist"})
		return nil, unauthorised("unknown session", true)
	}
	if err != nil {
		return nil, storeErr("get", err)
	}
	if !rt.validTag(rec.Secret) {
		return nil, e.forgedRefresh(ctx, rec.UserID, rec.Handle, meta)
	}
	child := rt.child(rec.Secret)
	childHash := hash2(child.String())

	for attempt := 0; ; attempt++ {
		// The grace window is judged at the arrival time: waiting for the store must not turn
		// an in-window duplicate into theft. Liveness is judged, and written, at the time of
		// writing (R6): no request, however early it arrived, extends a session that has
		// expired by the time it writes.
		now := e.cfg.Clock.Now()
		if !rec.Live(now) {
			return nil, unauthorised("session revoked or expired", true)
		}
		if eq(presented, rec.CurrentHash) {
			// (a) rotate: one conditional write, keyed on the presented token still being current.
			if err := e.checkAnomaly(ctx, rec, meta); err != nil {
				return nil, err
			}
			ch := Change{CurrentHash: childHash, PreviousHash: presented, RotatedAt: now,
				History: e.nextHistory(rec, presented, now), ExpiresAt: e.idleExpiry(rec, now), LastActiveAt: now}
			ok, err := e.store.Update(ctx, rec.Handle, Cond{LiveAt: now, CurrentHash: presented}, ch)
			if err != nil {
				return nil, storeErr("rotate", err)
			}
			if ok {
				rec.PreviousHash, rec.CurrentHash, rec.RotatedAt, rec.History = presented, childHash, now, ch.History
				rec.ExpiresAt, rec.LastActiveAt = ch.ExpiresAt, now
				e.emit(ctx, SecurityEvent{Type: EventRefresh, Time: now, UserID: rec.UserID, Handle: rec.Handle,
					IP: meta.IP, UserAgent: meta.UserAgent})
				if err := e.refreshStaleClaims(ctx, rec); err != nil {
					return nil, err
				}
				return e.tokensFor(rec, &child, now)
			}
		} else if depth, supersededAt, found := e.lineagePosition(rec, presented); found {
			if !arrived.Before(supersededAt.Add(e.cfg.RotationGrace)) {
				// (c) superseded a grace window or more before it arrived: theft (R3).
				return nil, e.theft(ctx, rec, meta)
			}
			// (b) superseded less than a grace window before it arrived, whatever happened
			// since: answer with the lineage's current token, no write (R1, R2, R8).
			cur := child // depth 1; older tokens are further behind
			for range depth - 1 {
				cur = cur.child(rec.Secret)
			}
			if !eq(hash2(cur.String()), rec.CurrentHash) {
				// Cannot happen with an intact row; refuse without judging anyone.
				return nil, unauthorised("lineage does not lead to the current token", true)
			}
			return e.tokensFor(rec, &cur, now)
		} else if e.historyMayHaveDropped(rec, arrived) {
			// A genuine token older than the history remembers, while the history is still
			// inside the window: it may be honest, so refuse it without revoking anything.
			e.emit(ctx, SecurityEvent{Type: EventStaleToken, Time: now, UserID: rec.UserID, Handle: rec.Handle,
				IP: meta.IP, UserAgent: meta.UserAgent, Reason: "refresh token older than the remembered lineage"})
			return nil, unauthorised("refresh token older than the remembered lineage", true)
		} else {
			// (c) a genuine token older than anything honoured: theft (R3).
			return nil, e.theft(ctx, rec, meta)
		}
		// Our conditional write lost a race; re-read and decide again.
		if attempt == 2 {
			return nil, unauthorised("refresh lost three races in a row", false)
		}
		if rec, err = e.store.Get(ctx, rt.handle); err != nil {
			if errors.Is(err, ErrNotFound) {
				return nil, unauthorised("session vanished", true)
			}
			return nil, storeErr("get", err)
		}
		e.facts.remember(rec)
	}
}

// rotateKnown is case (a) in one statement, for a session whose facts the engine holds and a
// store that implements Rotator. The tag is checked against the cached secret before anything
// is written (R4). The write's condition is met only by the genuine current token, so
// anything else (a duplicate, a replay, a revoked or expired session, a payload changed since
// it was cached) writes nothing and reports done=false: the caller then reads the row and
// judges it as before.
func (e *Engine) rotateKnown(ctx context.Context, rt *refreshToken, presented string, meta RefreshMeta) (t *Tokens, done bool, err error) {
	if e.rotator == nil {
		return nil, false, nil
	}
	f := e.facts.get(rt.handle)
	if f == nil {
		return nil, false, nil
	}
	if !rt.validTag(f.secret) {
		return nil, true, e.forgedRefresh(ctx, f.userID, rt.handle, meta)
	}
	child := rt.child(f.secret)
	childHash := hash2(child.String())
	now := e.cfg.Clock.Now()
	rec := f.record(rt.handle, presented, childHash, now)
	rec.ExpiresAt = e.idleExpiry(rec, now)
	// Everything the new access token carries is known now (the payload is the cached one,
	// and the write requires the row to still hold it), so it is signed while the write
	// travels. Nothing is delivered unless the write succeeds.
	signed := e.signBeside(rec, &child, now)
	ok, err := e.rotator.Rotate(ctx, rt.handle, Rotation{From: presented, To: childHash, At: now,
		ExpiresAt: rec.ExpiresAt, Version: f.version, Entry: historyEntry(presented, now), HistoryMax: historyMaxLen})
	t, signErr := signed.wait()
	if err != nil {
		return nil, true, storeErr("rotate", err)
	}
	if !ok {
		return nil, false, nil
	}
	// The anomaly hook reads only sign-in facts, but runs after the write here: a revoke
	// answer revokes the session just rotated, and the client gets the same 401.
	if err := e.checkAnomaly(ctx, rec, meta); err != nil {
		return nil, true, err
	}
	e.emit(ctx, SecurityEvent{Type: EventRefresh, Time: now, UserID: rec.UserID, Handle: rec.Handle,
		IP: meta.IP, UserAgent: meta.UserAgent})
	version := rec.Version
	if err := e.refreshStaleClaims(ctx, rec); err != nil {
		return nil, true, err
	}
	if rec.Version != version { // claims were re-fetched: the token signed ahead is stale
		t, signErr = e.tokensFor(rec, &child, now)
	}
	return t, true, signErr
}

// forgedRefresh reports a refresh token whose integrity tag does not verify under its
// session's secret: a forgery aimed at a real handle. Nothing is revoked or changed (R4).
func (e *Engine) forgedRefresh(ctx context.Context, userID, handle string, meta RefreshMeta) error {
	e.emit(ctx, SecurityEvent{Type: EventForgedToken, Time: e.cfg.Clock.Now(), UserID: userID,
		Handle: handle, IP: meta.IP, UserAgent: meta.UserAgent, Reason: "integrity tag mismatch"})
	return unauthorised("refresh token integrity check failed", true)
}

func (e *Engine) theft(ctx context.Context, rec *Record, meta RefreshMeta) error {
	revoked, err := e.store.Update(ctx, rec.Handle, Cond{}, Change{Revoke: true})
	if err != nil {
		return storeErr("revoke after theft", err)
	}
	e.noteRevoked(rec.Handle)
	// Only the request whose write revoked the session reports it, so a replay presented twice
	// at once fires OnTokenTheft once.
	if revoked {
		e.emit(ctx, SecurityEvent{Type: EventTokenTheft, Time: e.cfg.Clock.Now(), UserID: rec.UserID,
			Handle: rec.Handle, IP: meta.IP, UserAgent: meta.UserAgent, Reason: "superseded refresh token reused"})
	}
	return &Error{Kind: ErrTokenTheft, Reason: "superseded refresh token reused", ClearTokens: true,
		UserID: rec.UserID, Handle: rec.Handle}
}

// eq compares two hashes in constant time; empty strings never match.
func eq(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// refreshStaleClaims re-fetches registered claims that are older than their MaxAge and stores
// them in the row (a version-checked write on a live row) before the new access token is
// minted. A failing Fetch keeps the old values: a claim source outage must not log users out.
func (e *Engine) refreshStaleClaims(ctx context.Context, rec *Record) error {
	if len(e.cfg.Claims) == 0 {
		return nil
	}
	cur, err := decodeObject(rec.Payload)
	if err != nil {
		return err
	}
	upd, err := e.fetchClaims(ctx, rec.UserID, cur, false)
	if err != nil {
		e.log.WarnContext(ctx, "ratchet: claim refresh failed; keeping the old values", "session", rec.Handle, "err", err)
		return nil
	}
	if upd == nil {
		return nil
	}
	fresh, err := e.mergePayload(ctx, rec.Handle, upd)
	if errors.Is(err, ErrTokenTooLarge) {
		e.log.WarnContext(ctx, "ratchet: refreshed claims would not fit in a cookie; keeping the old values", "session", rec.Handle)
		return nil
	}
	if err != nil {
		return err
	}
	rec.Payload, rec.Version = fresh.Payload, fresh.Version
	return nil
}

// pendingTokens is a signature in progress (signBeside).
type pendingTokens struct {
	async *asyncTokens // nil when signed already
	t     *Tokens
	err   error
}

type asyncTokens struct {
	done chan struct{}
	t    *Tokens
	err  error
}

// wait returns the tokens once signed. Call it before touching the record again.
func (p pendingTokens) wait() (*Tokens, error) {
	if a := p.async; a != nil {
		<-a.done
		return a.t, a.err
	}
	return p.t, p.err
}

// signBeside signs rec's tokens for rt while the caller waits for the store, so that on a
// database the signature (the largest CPU cost of a refresh) overlaps the round trip instead
// of following it. Over a process-local store there is no round trip to overlap, so it signs
// at once. rec and rt must not change until wait returns.
func (e *Engine) signBeside(rec *Record, rt *refreshToken, now time.Time) pendingTokens {
	if e.localStore {
		t, err := e.tokensFor(rec, rt, now)
		return pendingTokens{t: t, err: err}
	}
	a := &asyncTokens{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.t, a.err = e.tokensFor(rec, rt, now)
	}()
	return pendingTokens{async: a}
}
