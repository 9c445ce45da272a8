package core

import "strings"

// CORSAllowHeaders is the Access-Control-Allow-Headers value the library's routes need: the
// request headers the frontend SDK sends, plus content-type. Give it (or CORSAllowedHeaders)
// to a framework's own CORS middleware when the adapter's CORS is not used.
const CORSAllowHeaders = "content-type, rid, fdi-version, anti-csrf, authorization, st-auth-mode"

// CORSAllowedHeaders returns CORSAllowHeaders as a new slice, for CORS middleware configured
// with a list.
func CORSAllowedHeaders() []string { return strings.Split(CORSAllowHeaders, ", ") }

// HandleCORS sets the CORS response headers for an allowed Origin and answers preflights. It
// returns true when it has written a complete response (a preflight) and the caller must stop.
// An origin that is not allowed gets no CORS headers at all: credentials are never combined with
// a wildcard or a reflected arbitrary origin.
func (e *Engine) HandleCORS(req Request, resp Response) bool {
	origin := req.Header("Origin")
	allowed := origin != "" && e.OriginAllowed(origin)
	if origin != "" {
		resp.AddHeader("Vary", "Origin")
	}
	if allowed {
		resp.SetHeader("Access-Control-Allow-Origin", origin)
		resp.SetHeader("Access-Control-Allow-Credentials", "true")
	}
	if req.Method() != "OPTIONS" || req.Header("Access-Control-Request-Method") == "" {
		return false
	}
	if allowed {
		resp.SetHeader("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
		resp.SetHeader("Access-Control-Allow-Headers", CORSAllowHeaders)
		resp.SetHeader("Access-Control-Max-Age", "600")
	}
	resp.Write(204, "", nil)
	return true
}
