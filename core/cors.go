package core

import "strings"

// CORSAllowedHeaders are the request headers the frontend SDK sends, plus content-type.
var CORSAllowedHeaders = []string{"content-type", "rid", "fdi-version", "anti-csrf", "authorization", "st-auth-mode"}

var corsAllowHeaders = strings.Join(CORSAllowedHeaders, ", ")

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
		resp.SetHeader("Access-Control-Allow-Headers", corsAllowHeaders)
		resp.SetHeader("Access-Control-Max-Age", "600")
	}
	resp.Write(204, "", nil)
	return true
}
