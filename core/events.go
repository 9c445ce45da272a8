package core

import (
	"context"
	"log/slog"
	"time"
)

// Security event types.
const (
	EventSignIn        = "sign_in"
	EventSignInFailed  = "sign_in_failed"
	EventSignOut       = "sign_out"
	EventRefresh       = "refresh"
	EventTokenTheft    = "token_theft"
	EventForgedToken   = "forged_refresh_token"
	EventRevoked       = "session_revoked"
	EventCSRFRejected  = "csrf_rejected"
	EventFixationReset = "fixation_revoked"
	EventUnknownToken  = "unknown_token"       // a token the server never issued (S-08)
	EventRateLimited   = "rate_limited"        // a limit tripped: guessing or brute force (S-66)
	EventStaleToken    = "stale_refresh_token" // a genuine token older than the remembered lineage, refused without revoking
	EventKeyCreated    = "key_created"         // a signing key was added to the ring (rotation)
	EventKeyRevoked    = "key_revoked"         // a signing key was revoked (emergency)
	EventKEKRewrapped  = "kek_rewrapped"       // private keys re-sealed under a new KEK
)

// SecurityEvent describes something a security team wants to see. It never contains a token,
// a cookie, an Authorization header or a password.
type SecurityEvent struct {
	Type      string
	Time      time.Time // UTC
	UserID    string
	Handle    string // public session id
	IP        string
	UserAgent string
	Reason    string
	// Actor names who acted, for admin actions (the admin's user id); empty otherwise.
	Actor string
}

// emit logs ev as a structured record and hands it to the configured hooks.
func (e *Engine) emit(ctx context.Context, ev SecurityEvent) {
	ev.Time = ev.Time.UTC()
	if ev.Actor == "" {
		ev.Actor = ActorFrom(ctx)
	}
	level := slog.LevelInfo
	switch ev.Type {
	case EventTokenTheft, EventKeyRevoked:
		level = slog.LevelWarn
	case EventRefresh:
		// Routine and frequent: visible at debug level, and always to OnSecurityEvent.
		level = slog.LevelDebug
	}
	attrs := [...]slog.Attr{
		slog.String("event", ev.Type), slog.Time("time", ev.Time), slog.String("user_id", ev.UserID),
		slog.String("session", ev.Handle), slog.String("ip", ev.IP), slog.String("user_agent", ev.UserAgent),
		slog.String("reason", ev.Reason), slog.String("actor", ev.Actor)}
	n := len(attrs)
	if ev.Actor == "" {
		n-- // only admin actions name an actor
	}
	e.log.LogAttrs(ctx, level, "ratchet security event", attrs[:n]...)
	e.audit(ev)
	if e.cfg.Observer != nil {
		e.cfg.Observer.Event(ctx, ev)
	}
	if e.cfg.OnSecurityEvent != nil {
		e.cfg.OnSecurityEvent(ctx, ev)
	}
	if ev.Type == EventTokenTheft && e.cfg.OnTokenTheft != nil {
		e.cfg.OnTokenTheft(ctx, ev)
	}
}

type actorKey struct{}

// WithActor returns a context whose security events name actor (an admin's user id) as the
// one who acted: the admin API sets it, and an app's own admin tools calling RevokeSession or
// RevokeAllForUser can too, so that the audit log says who revoked what.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor WithActor put on ctx, or "".
func ActorFrom(ctx context.Context) string {
	a, _ := ctx.Value(actorKey{}).(string)
	return a
}
