package core

import (
	"context"
	"slices"
	"strings"
)

// Route is one library route, relative to Config.BasePath. Engine.Routes lists them; adapters
// do not: they send every request under BasePath to ServeAuth, which owns the table, the
// methods and the answers for everything else (405 with Allow, 404).
type Route struct {
	Path    string   // "/signin", "/sessions/{handle}"
	Methods []string // any other method gets 405 with an Allow header
}

// route is a Route with what the engine needs to serve it.
type route struct {
	Route
	prefix string                 // set for a path ending in a parameter: what precedes it
	off    func(cfg *Config) bool // switched off by the configuration
	admit  bool                   // every step needs the store: one admission slot
	serve  func(e *Engine, ctx context.Context, req Request, resp Response, param string)
}

// routeTable is the only list of the library routes. Order matters where paths overlap:
// /sessions/revoke-others comes before /sessions/{handle}.
var routeTable = []route{
	{
		Route: Route{"/signin", []string{"POST"}},
		off:   func(c *Config) bool { return c.Routes.DisableSignIn || c.Authenticate == nil },
		serve: func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
			e.serveSignIn(ctx, req, resp)
		},
	},
	{
		Route: Route{"/session/refresh", []string{"POST"}},
		off:   func(c *Config) bool { return c.Routes.DisableRefresh },
		serve: (*Engine).serveRefresh,
	},
	{
		Route: Route{"/signout", []string{"POST"}},
		off:   func(c *Config) bool { return c.Routes.DisableSignOut },
		admit: true,
		serve: func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
			e.serveSignOut(ctx, req, resp)
		},
	},
	{
		Route: Route{"/sessions", []string{"GET"}},
		off:   func(c *Config) bool { return c.Routes.DisableSessions },
		admit: true,
		serve: func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
			e.serveListSessions(ctx, req, resp)
		},
	},
	{
		Route: Route{"/sessions/revoke-others", []string{"POST"}},
		off:   func(c *Config) bool { return c.Routes.DisableSessions },
		admit: true,
		serve: func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
			e.serveRevokeOthers(ctx, req, resp)
		},
	},
	{
		Route:  Route{"/sessions/{handle}", []string{"DELETE"}},
		prefix: "/sessions/",
		off:    func(c *Config) bool { return c.Routes.DisableSessions },
		admit:  true,
		serve:  (*Engine).serveDeleteSession,
	},
	{
		Route: Route{"/jwt/jwks.json", []string{"GET", "HEAD"}},
		off:   func(c *Config) bool { return c.Routes.DisableJWKS },
		serve: func(e *Engine, ctx context.Context, req Request, resp Response, _ string) {
			e.serveJWKS(ctx, req, resp)
		},
	},
}

// adminOff and dashboardOff switch off the admin rows (docs/ADMIN.md).
func adminOff(c *Config) bool     { return c.Admin == nil }
func dashboardOff(c *Config) bool { return c.Admin == nil || c.Admin.DisableDashboard }

// adminRoutes are the admin API's rows: every one reads the store.
var adminRoutes = []route{
	{Route: Route{"/admin/api/me", []string{"GET"}}, serve: (*Engine).serveAdminMe},
	{Route: Route{"/admin/api/users", []string{"GET"}}, serve: (*Engine).serveAdminUsers},
	{Route: Route{"/admin/api/sessions", []string{"GET"}}, serve: (*Engine).serveAdminSessions},
	{Route: Route{"/admin/api/sessions/revoke", []string{"POST"}}, serve: (*Engine).serveAdminRevokeSession},
	{Route: Route{"/admin/api/users/revoke", []string{"POST"}}, serve: (*Engine).serveAdminRevokeUser},
	{Route: Route{"/admin/api/revoke-all", []string{"POST"}}, serve: (*Engine).serveAdminRevokeAll},
	{Route: Route{"/admin/api/events", []string{"GET"}}, serve: (*Engine).serveAdminEvents},
	{Route: Route{"/admin/api/keys", []string{"GET"}}, serve: (*Engine).serveAdminKeys},
	{Route: Route{"/admin/api/keys/rotate", []string{"POST"}}, serve: (*Engine).serveAdminRotateKey},
	{Route: Route{"/admin/api/keys/revoke", []string{"POST"}}, serve: (*Engine).serveAdminRevokeKey},
	{Route: Route{"/admin/api/stats", []string{"GET"}}, serve: (*Engine).serveAdminStats},
}

// dashboardRoutes serve the page and its two files.
var dashboardRoutes = []route{
	{Route: Route{"/admin", []string{"GET", "HEAD"}}, serve: (*Engine).serveAdminRedirect},
	{Route: Route{"/admin/", []string{"GET", "HEAD"}}, serve: serveAdminFile("index.html")},
	{Route: Route{"/admin/app.js", []string{"GET", "HEAD"}}, serve: serveAdminFile("app.js")},
	{Route: Route{"/admin/app.css", []string{"GET", "HEAD"}}, serve: serveAdminFile("app.css")},
}

func init() {
	for _, r := range adminRoutes {
		r.off, r.admit = adminOff, true
		routeTable = append(routeTable, r)
	}
	for _, r := range dashboardRoutes {
		r.off = dashboardOff
		routeTable = append(routeTable, r)
	}
}

// Routes returns the library routes this engine serves, relative to BasePath, leaving out the
// ones switched off in Config.Routes (and signin without Config.Authenticate).
func (e *Engine) Routes() []Route {
	out := make([]Route, len(e.routes))
	for i, r := range e.routes {
		out[i] = Route{Path: r.Path, Methods: slices.Clone(r.Methods)}
	}
	return out
}

// enabledRoutes is the route table less what cfg switches off, decided once in New.
func enabledRoutes(cfg *Config) []*route {
	var out []*route
	for i := range routeTable {
		if r := &routeTable[i]; !r.off(cfg) {
			out = append(out, r)
		}
	}
	return out
}

// ServeAuth serves a request for a library route under BasePath, answering a wrong method with
// 405 and an Allow header. It returns false, writing nothing, for any other path (outside
// BasePath, unknown under it, or switched off), so a router that can fall through offers the
// request to the app's own routes; whatever no route serves under BasePath is then answered
// by WriteNotFound, so every adapter gives the same bytes for it.
func (e *Engine) ServeAuth(ctx context.Context, req Request, resp Response) bool {
	rest, ok := e.underBase(req.Path())
	if !ok {
		return false
	}
	r, param, ok := e.lookupRoute(rest)
	if !ok {
		return false
	}
	ctx, _ = e.arrival(ctx)
	if !slices.Contains(r.Methods, req.Method()) {
		resp.SetHeader("Allow", strings.Join(r.Methods, ", "))
		e.writeErrorResponse(ctx, req, resp, &ErrorResponse{Err: ErrMethodNotAllowed, Status: 405, ContentType: contentJSON, Body: bodyMethodNotAllowed})
		return true
	}
	if !r.admit {
		r.serve(e, ctx, req, resp, param)
		return true
	}
	ctx, release, err := e.admit(ctx)
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return true
	}
	defer release()
	r.serve(e, ctx, req, resp, param)
	return true
}

// lookupRoute finds the enabled route for rest, the path below BasePath.
func (e *Engine) lookupRoute(rest string) (r *route, param string, ok bool) {
	for _, r := range e.routes {
		if r.prefix == "" && rest == r.Path {
			return r, "", true
		}
		if r.prefix != "" && strings.HasPrefix(rest, r.prefix) {
			return r, rest[len(r.prefix):], true
		}
	}
	return nil, "", false
}

// underBase returns path below BasePath ("/signin"), and whether path is under it at all.
func (e *Engine) underBase(path string) (rest string, ok bool) {
	rest, ok = strings.CutPrefix(path, e.cfg.BasePath)
	return rest, ok && rest != "" && rest[0] == '/'
}

// OwnsPath reports whether path is under BasePath: the namespace whose unmatched paths
// WriteNotFound answers.
func (e *Engine) OwnsPath(path string) bool {
	_, ok := e.underBase(path)
	return ok
}

// ServeBase answers a request an adapter routed to the base path: a library route through
// ServeAuth, anything else with WriteNotFound. It is what a catch-all whose router cannot fall
// through to the app's own routes calls (net/http's Handler, Gin, Echo); Fiber, which can,
// calls ServeAuth and WriteNotFound itself.
func (e *Engine) ServeBase(ctx context.Context, req Request, resp Response) {
	if !e.ServeAuth(ctx, req, resp) {
		e.WriteNotFound(ctx, req, resp)
	}
}

// WriteNotFound answers a request under BasePath that neither a library route nor the app
// serves: 404 {"message":"not found"}, the same in every adapter (through Config.ErrorHandler
// like every other error).
func (e *Engine) WriteNotFound(ctx context.Context, req Request, resp Response) {
	e.writeErrorResponse(ctx, req, resp, &ErrorResponse{Err: ErrNoRoute, Status: 404, ContentType: contentJSON, Body: bodyNotFound})
}

// serveRefresh is POST {base}/session/refresh.
func (e *Engine) serveRefresh(ctx context.Context, req Request, resp Response, _ string) {
	if _, err := e.RefreshSession(ctx, req, resp); err != nil {
		e.WriteError(ctx, req, resp, err)
		return
	}
	resp.Write(200, contentJSON, []byte(`{}`))
}

// Authorize is the session check of a Verify middleware, so that every adapter applies the
// same rules: an OPTIONS request passes without a session (a CORS preflight carries no
// credentials, and the route's own handler or the CORS middleware answers it); any other
// request gets GetSession with opts. On failure Authorize writes the error response and
// returns proceed == false: the middleware must stop the chain. With proceed == true, s is the
// verified session, or nil (OPTIONS, or Optional without a token).
func (e *Engine) Authorize(ctx context.Context, req Request, resp Response, opts VerifyOptions) (s *Session, proceed bool) {
	if req.Method() == "OPTIONS" {
		return nil, true
	}
	s, err := e.GetSession(ctx, req, resp, opts)
	if err != nil {
		e.WriteError(ctx, req, resp, err)
		return nil, false
	}
	return s, true
}
