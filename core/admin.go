package core

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/url"
	"time"
)

// DefaultAdminRecentAuth is how recently an admin must have signed in for a destructive
// admin action, unless AdminConfig.RecentAuth says otherwise.
const DefaultAdminRecentAuth = 15 * time.Minute

// EventAdminAction and EventAdminDenied are the audit events of the admin API: every action
// names the admin as Actor and the action as Reason; every refusal of a verified session too.
const (
	EventAdminAction = "admin_action"
	EventAdminDenied = "admin_denied"
)

// AdminConfig turns on the admin API under {base}/admin/api/ and the dashboard at
// {base}/admin/ (docs/ADMIN.md).
type AdminConfig struct {
	// Allow decides whether a verified, store-checked session may use the admin API, for
	// example from a role claim. Required.
	Allow func(ctx context.Context, s *Session) bool
	// RecentAuth is how recent the admin's sign-in (auth_time) must be for a destructive
	// action (every POST). Default DefaultAdminRecentAuth.
	RecentAuth time.Duration
	// FindUsers maps the dashboard's search text (an email, a name) to user ids. Optional:
	// without it the search takes the text as a user id.
	FindUsers func(ctx context.Context, query string) ([]string, error)
	// DisableDashboard serves the API without the page.
	DisableDashboard bool
}

func (a *AdminConfig) defaults() error {
	if a.Allow == nil {
		return configErr("Admin.Allow is required: it decides who may use the admin API")
	}
	if a.RecentAuth < 0 {
		return configErr("Admin.RecentAuth must not be negative")
	}
	setDefault(&a.RecentAuth, DefaultAdminRecentAuth)
	return nil
}

// adminAccess is the gate of every admin API request (docs/ADMIN.md, "Who gets in"): a
// store-checked session, the rid header and an allowed origin on every request (reads
// included: the API is for the dashboard's fetches only), Allow, and for destructive actions
// a recent sign-in. On refusal it writes the answer and returns ok == false. The context it
// returns names the admin as the actor of every event raised under it.
func (e *Engine) adminAccess(ctx context.Context, req Request, resp Response, destructive bool) (context.Context, *Session, bool) {
	resp.SetHeader("Cache-Control", "no-store")
	if !e.originAllowed(req) || req.Header(HeaderRID) == "" {
		err := &Error{Kind: ErrCSRF, Reason: "admin API: missing rid header or origin not allowed"}
		e.emitCSRF(ctx, req, err)
		e.WriteError(ctx, req, resp, err)
		return ctx, nil, false
	}
	s, err := e.GetSession(ctx, req, resp, VerifyOptions{CheckDatabase: true})
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return ctx, nil, false
	}
	deny := func(reason string, err error) (context.Context, *Session, bool) {
		e.emit(ctx, SecurityEvent{Type: EventAdminDenied, Time: e.cfg.Clock.Now(), UserID: s.UserID(), Handle: s.Handle(),
			IP: e.clientIP(req), UserAgent: userAgent(req), Reason: reason})
		e.WriteError(ctx, req, resp, err)
		return ctx, nil, false
	}
	if !e.cfg.Admin.Allow(ctx, s) {
		return deny("role", &Error{Kind: ErrForbidden, Reason: "admin API: Allow refused the session", UserID: s.UserID(), Handle: s.Handle()})
	}
	if destructive {
		if fails := runValidators([]ClaimValidator{e.RequireRecentAuth(e.cfg.Admin.RecentAuth)}, s.current().claims()); len(fails) > 0 {
			return deny("recent_auth", &Error{Kind: ErrInvalidClaim, Claims: fails, UserID: s.UserID(), Handle: s.Handle()})
		}
	}
	return WithActor(ctx, s.UserID()), s, true
}

// adminRead starts a read (GET): the gate, then the query string.
func (e *Engine) adminRead(ctx context.Context, req Request, resp Response) (context.Context, url.Values, bool) {
	ctx, _, ok := e.adminAccess(ctx, req, resp, false)
	if !ok {
		return ctx, nil, false
	}
	q, err := url.ParseQuery(req.Query())
	if err != nil {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "malformed query string"})
		return ctx, nil, false
	}
	return ctx, q, true
}

// adminWrite starts a destructive action (POST): the gate with its recent sign-in, then the
// JSON body into v.
func (e *Engine) adminWrite(ctx context.Context, req Request, resp Response, v any) (context.Context, bool) {
	ctx, _, ok := e.adminAccess(ctx, req, resp, true)
	if !ok {
		return ctx, false
	}
	if err := e.readAdminBody(req, v); err != nil {
		e.WriteError(ctx, req, resp, err)
		return ctx, false
	}
	return ctx, true
}

// adminAudit records an admin action: the admin is the context's actor.
func (e *Engine) adminAudit(ctx context.Context, req Request, action, userID, handle string) {
	e.emit(ctx, SecurityEvent{Type: EventAdminAction, Time: e.cfg.Clock.Now(), UserID: userID, Handle: handle,
		IP: e.clientIP(req), UserAgent: userAgent(req), Reason: action})
}

// readAdminBody decodes a destructive action's JSON object body into v: application/json,
// within MaxBodyBytes, no duplicate or unknown members.
func (e *Engine) readAdminBody(req Request, v any) error {
	if !isJSONContentType(req.Header("Content-Type")) {
		return &Error{Kind: ErrBadRequest, Status: 415, Reason: "content-type must be application/json"}
	}
	body, err := io.ReadAll(io.LimitReader(req.Body(), e.cfg.MaxBodyBytes+1))
	if err != nil {
		return &Error{Kind: ErrBadRequest, Reason: "could not read request body"}
	}
	if int64(len(body)) > e.cfg.MaxBodyBytes {
		return &Error{Kind: ErrBadRequest, Status: 413, Reason: "request body too large"}
	}
	if hasDuplicateMembers(body) {
		return &Error{Kind: ErrBadRequest, Reason: "malformed JSON body"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return &Error{Kind: ErrBadRequest, Reason: "body must be one JSON object with the documented members"}
	}
	return nil
}
