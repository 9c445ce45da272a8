package core

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// SessionLimitAction says what happens when a user signs in with MaxSessionsPerUser sessions
// already live.
type SessionLimitAction int

const (
	// EvictOldest (the default) revokes the user's oldest sessions to make room.
	EvictOldest SessionLimitAction = iota
	// RefuseNew refuses the sign-in with ErrSessionLimit; the sign-in route answers
	// 200 {"status":"SESSION_LIMIT_ERROR"}.
	RefuseNew
)

// ErrSessionLimit is returned by IssueTokens and CreateSession under RefuseNew.
var ErrSessionLimit = errors.New("ratchet: session limit reached")

// AnomalyAction is the verdict of Config.RefreshAnomaly.
type AnomalyAction int

const (
	// AnomalyAllow lets the refresh proceed silently.
	AnomalyAllow AnomalyAction = iota
	// AnomalyLog lets it proceed and emits an "anomaly" security event.
	AnomalyLog
	// AnomalyRevoke revokes the session and answers 401 unauthorised.
	AnomalyRevoke
)

// EventAnomaly is emitted for a refresh the RefreshAnomaly hook flagged.
const EventAnomaly = "refresh_anomaly"

// Anomaly describes a refresh from a client that differs from the one that signed in. IP and
// User-Agent are weak signals (mobile networks change IPs, browsers update): use them to log or
// to ask for step-up, rarely to revoke.
type Anomaly struct {
	UserID, Handle             string
	SignInIP, IP               string
	SignInUserAgent, UserAgent string
}

// enforceSessionLimit makes room for one more session of userID, or refuses.
func (e *Engine) enforceSessionLimit(ctx context.Context, userID string) error {
	max := e.cfg.MaxSessionsPerUser
	if max <= 0 {
		return nil
	}
	live, err := e.store.ListByUser(ctx, userID, e.cfg.Clock.Now())
	if err != nil {
		return storeErr("list", err)
	}
	excess := len(live) - max + 1
	if excess <= 0 {
		return nil
	}
	if e.cfg.SessionLimit == RefuseNew {
		return fmt.Errorf("%w (%d live sessions)", ErrSessionLimit, len(live))
	}
	for i := len(live) - 1; i >= 0 && excess > 0; i-- { // newest first, so evict from the end
		ok, err := e.store.Update(ctx, live[i].Handle, Cond{}, Change{Revoke: true})
		if err != nil {
			return storeErr("evict", err)
		}
		if ok {
			e.noteRevoked(live[i].Handle)
			e.emit(ctx, SecurityEvent{Type: EventRevoked, Time: e.cfg.Clock.Now(), UserID: userID,
				Handle: live[i].Handle, Reason: "evicted: session limit reached"})
		}
		excess--
	}
	return nil
}

// checkAnomaly runs the RefreshAnomaly hook; it returns an error when the session was revoked.
func (e *Engine) checkAnomaly(ctx context.Context, rec *Record, meta RefreshMeta) error {
	if e.cfg.RefreshAnomaly == nil || (meta.IP == rec.IP && meta.UserAgent == rec.UserAgent) {
		return nil
	}
	a := Anomaly{UserID: rec.UserID, Handle: rec.Handle, SignInIP: rec.IP, IP: meta.IP,
		SignInUserAgent: rec.UserAgent, UserAgent: meta.UserAgent}
	switch e.cfg.RefreshAnomaly(ctx, a) {
	case AnomalyLog:
		e.emit(ctx, SecurityEvent{Type: EventAnomaly, Time: e.cfg.Clock.Now(), UserID: rec.UserID, Handle: rec.Handle,
			IP: meta.IP, UserAgent: meta.UserAgent, Reason: "client differs from sign-in"})
	case AnomalyRevoke:
		if _, err := e.store.Update(ctx, rec.Handle, Cond{}, Change{Revoke: true}); err != nil {
			return storeErr("revoke", err)
		}
		e.noteRevoked(rec.Handle)
		e.emit(ctx, SecurityEvent{Type: EventRevoked, Time: e.cfg.Clock.Now(), UserID: rec.UserID, Handle: rec.Handle,
			IP: meta.IP, UserAgent: meta.UserAgent, Reason: "revoked by the refresh anomaly policy"})
		return unauthorised("revoked by the refresh anomaly policy", true)
	}
	return nil
}

// Lifetime is a session's idle timeout and absolute lifetime. Zero fields mean the Config
// defaults (RefreshTTL, AbsoluteTTL).
type Lifetime struct {
	Idle, Absolute time.Duration
}

// lifetimeFor asks Config.LifetimePolicy for the new session's lifetimes and checks them.
func (e *Engine) lifetimeFor(ctx context.Context, userID string, payload map[string]any) (Lifetime, error) {
	l := Lifetime{}
	if e.cfg.LifetimePolicy != nil {
		var err error
		if l, err = e.cfg.LifetimePolicy(ctx, userID, payload); err != nil {
			return l, fmt.Errorf("ratchet: lifetime policy: %w", err)
		}
	}
	l.Idle, l.Absolute = cmpOr(l.Idle, e.cfg.RefreshTTL), cmpOr(l.Absolute, e.cfg.AbsoluteTTL)
	if l.Idle <= e.cfg.AccessTTL || l.Absolute < l.Idle {
		return l, fmt.Errorf("ratchet: lifetime policy returned idle %s, absolute %s: want AccessTTL < idle <= absolute", l.Idle, l.Absolute)
	}
	return l, nil
}
