package core

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The admin API's handlers (docs/ADMIN.md). Each starts with adminAccess; reads are GETs, and
// every POST is a destructive action that needs a recent sign-in and is audited.

// adminNotAvailable answers a capability the store or key ring lacks.
func adminNotAvailable(status int, what string) error {
	return &Error{Kind: ErrBadRequest, Status: status, Reason: what}
}

func (e *Engine) serveAdminMe(ctx context.Context, req Request, resp Response, _ string) {
	_, s, ok := e.adminAccess(ctx, req, resp, false)
	if !ok {
		return
	}
	at := s.AuthTime()
	resp.Write(200, contentJSON, mustJSON(map[string]any{"userId": s.UserID(), "sessionHandle": s.Handle(),
		"authTime": at.UnixMilli(), "recentAuthUntil": at.Add(e.cfg.Admin.RecentAuth).UnixMilli()}))
}

type adminUser struct {
	UserID       string `json:"userId"`
	LiveSessions int    `json:"liveSessions"`
}

// maxAdminUsers bounds what one search lists.
const maxAdminUsers = 50

func (e *Engine) serveAdminUsers(ctx context.Context, req Request, resp Response, _ string) {
	ctx, q, ok := e.adminRead(ctx, req, resp)
	if !ok {
		return
	}
	text := strings.TrimSpace(q.Get("q"))
	if text == "" || len(text) > maxUserIDBytes {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "q must be 1 to 255 bytes"})
		return
	}
	var found []string
	if f := e.cfg.Admin.FindUsers; f != nil {
		var err error
		if found, err = f(ctx, text); err != nil {
			e.WriteError(ctx, req, resp, err)
			return
		}
	}
	users := []adminUser{}
	for i, id := range append([]string{text}, found...) {
		if len(users) == maxAdminUsers || !validUserID(id) || slices.ContainsFunc(users, func(u adminUser) bool { return u.UserID == id }) {
			continue
		}
		infos, err := e.ListSessions(ctx, id)
		if err != nil {
			e.WriteError(ctx, req, resp, err)
			return
		}
		// The text itself is listed only when it is someone's user id, as far as can be told.
		if i > 0 || len(infos) > 0 {
			users = append(users, adminUser{UserID: id, LiveSessions: len(infos)})
		}
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"users": users}))
}

type adminSessionView struct {
	sessionView
	Status string `json:"status"`
}

func (e *Engine) serveAdminSessions(ctx context.Context, req Request, resp Response, _ string) {
	ctx, q, ok := e.adminRead(ctx, req, resp)
	if !ok {
		return
	}
	userID := q.Get("userId")
	if !validUserID(userID) {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "userId is required"})
		return
	}
	infos, err := e.ListSessions(ctx, userID)
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	now := e.cfg.Clock.Now()
	views := make([]adminSessionView, 0, len(infos))
	for _, in := range infos {
		status := "idle"
		if now.Sub(in.LastActiveAt) < e.cfg.AccessTTL {
			status = "active"
		}
		views = append(views, adminSessionView{sessionView: viewOf(in, ""), Status: status})
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"userId": userID, "sessions": views}))
}

func (e *Engine) serveAdminRevokeSession(ctx context.Context, req Request, resp Response, _ string) {
	var body struct {
		Handle string `json:"sessionHandle"`
	}
	ctx, ok := e.adminWrite(ctx, req, resp, &body)
	if !ok {
		return
	}
	if !ValidHandle(body.Handle) {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "sessionHandle is not a session handle"})
		return
	}
	// The owner is read first so that the audit log files the revocation under the user.
	var userID string
	if info, err := e.SessionInfo(ctx, body.Handle); err == nil {
		userID = info.UserID
	} else if !errors.Is(err, ErrNotFound) {
		e.WriteError(ctx, req, resp, err)
		return
	}
	revoked, err := e.RevokeSession(ctx, body.Handle)
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	if revoked {
		e.emit(ctx, SecurityEvent{Type: EventRevoked, Time: e.cfg.Clock.Now(), UserID: userID, Handle: body.Handle,
			Reason: "revoked by an admin"})
	}
	e.adminAudit(ctx, req, "revoke_session", userID, body.Handle)
	resp.Write(200, contentJSON, mustJSON(map[string]any{"status": "OK", "revoked": revoked}))
}

func (e *Engine) serveAdminRevokeUser(ctx context.Context, req Request, resp Response, _ string) {
	var body struct {
		UserID string `json:"userId"`
	}
	ctx, ok := e.adminWrite(ctx, req, resp, &body)
	if !ok {
		return
	}
	if !validUserID(body.UserID) {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "userId is required"})
		return
	}
	hs, err := e.RevokeAllForUser(ctx, body.UserID)
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	e.adminAudit(ctx, req, "revoke_user", body.UserID, "")
	resp.Write(200, contentJSON, mustJSON(map[string]any{"status": "OK", "revoked": append([]string{}, hs...)}))
}

// RevokeAllConfirmation is the phrase POST {base}/admin/api/revoke-all must carry.
const RevokeAllConfirmation = "REVOKE ALL"

func (e *Engine) serveAdminRevokeAll(ctx context.Context, req Request, resp Response, _ string) {
	var body struct {
		Confirm string `json:"confirm"`
	}
	ctx, ok := e.adminWrite(ctx, req, resp, &body)
	if !ok {
		return
	}
	if body.Confirm != RevokeAllConfirmation {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: `confirm must be "` + RevokeAllConfirmation + `"`})
		return
	}
	if _, ok := e.cfg.Store.(AllRevoker); !ok {
		e.WriteError(ctx, req, resp, adminNotAvailable(409, "the store cannot revoke every session"))
		return
	}
	// Audited first: the answer may never reach the admin, whose own session goes too.
	e.adminAudit(ctx, req, "revoke_all", "", "")
	n, err := e.RevokeAllSessions(ctx)
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"status": "OK", "revoked": n}))
}

type adminEvent struct {
	ID        string `json:"id"`
	Time      int64  `json:"time"`
	Type      string `json:"type"`
	UserID    string `json:"userId"`
	Handle    string `json:"sessionHandle"`
	IP        string `json:"ip"`
	UserAgent string `json:"userAgent"`
	Reason    string `json:"reason"`
	Actor     string `json:"actor"`
}

func (e *Engine) serveAdminEvents(ctx context.Context, req Request, resp Response, _ string) {
	ctx, q, ok := e.adminRead(ctx, req, resp)
	if !ok {
		return
	}
	aq := AuditQuery{UserID: q.Get("userId"), Handle: q.Get("sessionHandle"), Cursor: q.Get("cursor")}
	if t := q.Get("types"); t != "" {
		aq.Types = strings.Split(t, ",")
	}
	for name, dst := range map[string]*time.Time{"since": &aq.Since, "until": &aq.Until} {
		if v := q.Get(name); v != "" {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil || ms < 0 {
				e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: name + " must be Unix milliseconds"})
				return
			}
			*dst = time.UnixMilli(ms).UTC()
		}
	}
	if v := q.Get("limit"); v != "" {
		var err error
		if aq.Limit, err = strconv.Atoi(v); err != nil || aq.Limit < 1 {
			e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "limit must be a positive integer"})
			return
		}
	}
	if aq.Cursor != "" && !validAuditID(aq.Cursor) {
		e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "cursor must be a next value this API returned"})
		return
	}
	evs, next, err := e.ListSecurityEvents(ctx, aq)
	if errors.Is(err, ErrNoAuditLog) {
		e.WriteError(ctx, req, resp, adminNotAvailable(404, "audit log not available"))
		return
	}
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	out := make([]adminEvent, len(evs))
	for i, ev := range evs {
		out[i] = adminEvent{ID: ev.ID, Time: ev.Time.UnixMilli(), Type: ev.Type, UserID: ev.UserID, Handle: ev.Handle,
			IP: ev.IP, UserAgent: ev.UserAgent, Reason: ev.Reason, Actor: ev.Actor}
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"events": out, "next": next}))
}

// validAuditID reports whether id has the shape NewAuditID gives: 32 lowercase hex digits.
func validAuditID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
