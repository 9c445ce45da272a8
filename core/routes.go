package core

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrWrongCredentials is what Config.Authenticate returns for a failed sign-in. The route then
// answers 200 {"status":"WRONG_CREDENTIALS_ERROR"}: a 401 would send the SDK into its refresh
// logic.
var ErrWrongCredentials = errors.New("ratchet: wrong credentials")

// SignInRequest is the parsed body of POST {base}/signin.
type SignInRequest struct {
	Email     string
	Password  string         // never log this
	Body      map[string]any // the whole JSON object, for extra fields
	IP        string
	UserAgent string
}

// Identity is a successful sign-in.
type Identity struct {
	UserID  string
	User    any            // serialised as "user" in the response, e.g. {"id":…,"email":…}
	Payload map[string]any // initial custom access-token claims
	Data    map[string]any // initial session data
}

// serveSignIn is POST {base}/signin, observed as OpSignIn.
func (e *Engine) serveSignIn(ctx context.Context, req Request, resp Response) {
	ctx, end := e.startOp(ctx, OpSignIn)
	end(e.signIn(ctx, req, resp))
}

// signIn answers a sign-in and returns its outcome for the Observer: nil for a new session,
// ErrWrongCredentials, ErrSessionLimit or the error it answered with.
func (e *Engine) signIn(ctx context.Context, req Request, resp Response) error {
	resp.SetHeader("Cache-Control", "no-store")
	if !e.originAllowed(req) {
		err := &Error{Kind: ErrCSRF, Reason: "sign-in from a disallowed origin"}
		e.emitCSRF(ctx, req, err)
		return e.answerError(ctx, req, resp, err)
	}
	if !isJSONContentType(req.Header("Content-Type")) {
		resp.Write(415, contentJSON, []byte(`{"message":"content-type must be application/json"}`))
		return &Error{Kind: ErrBadRequest, Reason: "content-type must be application/json", Status: 415}
	}
	body, err := io.ReadAll(io.LimitReader(req.Body(), e.cfg.MaxBodyBytes+1))
	if err != nil {
		return e.answerError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "could not read request body"})
	}
	if int64(len(body)) > e.cfg.MaxBodyBytes {
		return e.answerError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "request body too large", Status: 413})
	}
	sr, perr := parseSignIn(body)
	if perr != "" {
		return e.answerError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: perr})
	}
	sr.IP, sr.UserAgent = e.clientIP(req), userAgent(req)
	// The attempt is counted before the (deliberately slow) password check and given back
	// unless it fails, so concurrent guesses cannot all slip under the limit. Counting comes
	// before admission, so a throttled client is answered at once and never takes a slot.
	wait, reserved := e.reserve(ctx, e.signInLimits(sr.IP, sr.Email)...)
	if wait > 0 {
		return e.answerError(ctx, req, resp, &Error{Kind: ErrRateLimited, Reason: "too many failed sign-ins", RetryAfter: wait})
	}
	// Authenticate usually reads the app's users table, and CreateSession writes: one slot
	// covers both (CreateSession reuses it).
	ctx, release, err := e.admit(ctx)
	if err != nil {
		e.refund(ctx, reserved) // shed before any check: not an attempt
		return e.answerError(ctx, req, resp, err)
	}
	defer release()
	id, err := e.cfg.Authenticate(ctx, sr)
	if errors.Is(err, ErrWrongCredentials) || (err == nil && (id == nil || id.UserID == "")) {
		e.emit(ctx, SecurityEvent{Type: EventSignInFailed, Time: e.cfg.Clock.Now(), IP: sr.IP, UserAgent: sr.UserAgent})
		resp.Write(200, contentJSON, []byte(`{"status":"WRONG_CREDENTIALS_ERROR"}`))
		return ErrWrongCredentials
	}
	e.refund(ctx, reserved) // not a failed guess: the credentials were right, or the check failed
	if err != nil {
		return e.answerError(ctx, req, resp, err)
	}
	s, err := e.CreateSession(ctx, req, resp, id.UserID, CreateOptions{Payload: id.Payload, Data: id.Data})
	if errors.Is(err, ErrSessionLimit) {
		resp.Write(200, contentJSON, []byte(`{"status":"SESSION_LIMIT_ERROR"}`))
		return err
	}
	if err != nil {
		return e.answerError(ctx, req, resp, err)
	}
	e.emit(ctx, SecurityEvent{Type: EventSignIn, Time: e.cfg.Clock.Now(), UserID: id.UserID, Handle: s.Handle(),
		IP: sr.IP, UserAgent: sr.UserAgent})
	resp.Write(200, contentJSON, mustJSON(map[string]any{"status": "OK", "user": id.User}))
	return nil
}

// answerError writes err as the answer and returns it, for handlers that report an outcome.
func (e *Engine) answerError(ctx context.Context, req Request, resp Response, err error) error {
	e.WriteError(ctx, req, resp, err)
	return err
}

// isJSONContentType accepts exactly application/json, optionally with parameters. Simple
// (CORS-safelisted) types are refused so a cross-site form cannot post here.
func isJSONContentType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.TrimRight(mt, " ") == "application/json"
}

// parseSignIn decodes {"email","password",…}; it returns a client-facing message on error.
func parseSignIn(body []byte) (*SignInRequest, string) {
	// JSON is UTF-8 (RFC 8259 §8.1). encoding/json would silently turn invalid bytes into
	// U+FFFD, handing Authenticate a password other than the one the client sent, and letting
	// different byte strings compare equal.
	if !utf8.Valid(body) {
		return nil, "body must be UTF-8 JSON"
	}
	if hasDuplicateMembers(body) {
		return nil, "malformed JSON body"
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, "body must be a JSON object"
	}
	if dec.More() {
		return nil, "body must be a single JSON object"
	}
	sr := &SignInRequest{Body: m}
	var ok bool
	if sr.Email, ok = m["email"].(string); !ok {
		return nil, `"email" must be a string`
	}
	if sr.Password, ok = m["password"].(string); !ok {
		return nil, `"password" must be a string`
	}
	return sr, ""
}

func (e *Engine) serveSignOut(ctx context.Context, req Request, resp Response) {
	s, err := e.GetSession(ctx, req, resp, VerifyOptions{})
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	if err := s.Revoke(ctx); err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	e.emit(ctx, SecurityEvent{Type: EventSignOut, Time: e.cfg.Clock.Now(), UserID: s.UserID(), Handle: s.Handle(),
		IP: e.clientIP(req), UserAgent: userAgent(req)})
	if e.cfg.ClearSiteData != "" {
		resp.SetHeader("Clear-Site-Data", e.cfg.ClearSiteData)
	}
	resp.Write(200, contentJSON, []byte(`{"status":"OK"}`))
}

type sessionView struct {
	Handle       string `json:"sessionHandle"`
	Current      bool   `json:"current"`
	CreatedAt    int64  `json:"createdAt"`
	LastActiveAt int64  `json:"lastActiveAt"`
	ExpiresAt    int64  `json:"expiresAt"`
	AbsoluteExp  int64  `json:"absoluteExpiresAt"`
	IP           string `json:"ip"`
	UserAgent    string `json:"userAgent"`
	Device       string `json:"device"`
}

// viewOf is the wire form of a session; current is the caller's handle.
func viewOf(in SessionInfo, current string) sessionView {
	return sessionView{Handle: in.Handle, Current: in.Handle == current,
		CreatedAt: in.CreatedAt.UnixMilli(), LastActiveAt: in.LastActiveAt.UnixMilli(),
		ExpiresAt: in.ExpiresAt.UnixMilli(), AbsoluteExp: in.AbsoluteExpiresAt.UnixMilli(),
		IP: in.IP, UserAgent: in.UserAgent, Device: in.Device}
}

func (e *Engine) serveListSessions(ctx context.Context, req Request, resp Response) {
	resp.SetHeader("Cache-Control", "no-store")
	s, err := e.GetSession(ctx, req, resp, VerifyOptions{CheckDatabase: true})
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	infos, err := e.ListSessions(ctx, s.UserID())
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	views := make([]sessionView, 0, len(infos))
	for _, in := range infos {
		views = append(views, viewOf(in, s.Handle()))
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"sessions": views}))
}

// serveRevokeOthers signs the caller out everywhere else: every other session of the same user.
func (e *Engine) serveRevokeOthers(ctx context.Context, req Request, resp Response) {
	resp.SetHeader("Cache-Control", "no-store")
	s, err := e.GetSession(ctx, req, resp, VerifyOptions{CheckDatabase: true, Validators: e.recentAuthValidators()})
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	hs, err := e.RevokeOtherSessions(ctx, s.UserID(), s.Handle())
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	resp.Write(200, contentJSON, mustJSON(map[string]any{"status": "OK", "revoked": len(hs)}))
}

// recentAuthValidators is the S-61 requirement on the session-ending routes, if configured.
func (e *Engine) recentAuthValidators() []ClaimValidator {
	if e.cfg.RecentAuthForSessionRoutes <= 0 {
		return nil
	}
	return []ClaimValidator{e.RequireRecentAuth(e.cfg.RecentAuthForSessionRoutes)}
}

var bodySessionNotFound = []byte(`{"message":"session not found"}`)

func (e *Engine) serveDeleteSession(ctx context.Context, req Request, resp Response, handle string) {
	resp.SetHeader("Cache-Control", "no-store")
	s, err := e.GetSession(ctx, req, resp, VerifyOptions{CheckDatabase: true})
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	if !ValidHandle(handle) {
		resp.Write(404, contentJSON, bodySessionNotFound)
		return
	}
	rec, err := e.liveRecord(ctx, handle)
	if errors.Is(err, ErrNotFound) || (err == nil && rec.UserID != s.UserID()) {
		// Another user's handle looks exactly like a missing one (no IDOR oracle).
		resp.Write(404, contentJSON, bodySessionNotFound)
		return
	}
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	if handle == s.Handle() {
		err = s.Revoke(ctx)
	} else {
		if fails := runValidators(e.recentAuthValidators(), s.current().claims()); len(fails) > 0 {
			e.WriteError(ctx, req, resp, &Error{Kind: ErrInvalidClaim, Claims: fails, UserID: s.UserID(), Handle: s.Handle()})
			return
		}
		_, err = e.RevokeSession(ctx, handle)
	}
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	e.emit(ctx, SecurityEvent{Type: EventRevoked, Time: e.cfg.Clock.Now(), UserID: s.UserID(), Handle: handle,
		IP: e.clientIP(req), UserAgent: userAgent(req), Reason: "revoked through the sessions route"})
	resp.Write(200, contentJSON, []byte(`{"status":"OK"}`))
}

func (e *Engine) serveJWKS(ctx context.Context, req Request, resp Response) {
	doc, err := e.cfg.Keys.JWKS()
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	maxAge := 300 * time.Second
	if a, ok := e.cfg.Keys.(JWKSMaxAger); ok {
		maxAge = max(a.JWKSMaxAge(), time.Second)
	}
	resp.SetHeader("Cache-Control", "max-age="+strconv.Itoa(int(maxAge/time.Second))+", must-revalidate")
	resp.Write(200, "application/json", doc)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return bodyInternal
	}
	return b
}
