package core

import "strings"

// safeMethod reports methods that must never change state and need no CSRF check.
func safeMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "TRACE" }

// originAllowed applies the Origin / Sec-Fetch-Site rules to a request:
//   - an Origin header, when present, must exactly equal an allowed origin (or, with no
//     AllowedOrigins configured, the request's own host);
//   - without Origin, Sec-Fetch-Site must not say cross-site or same-site.
func (e *Engine) originAllowed(req Request) bool {
	origin := req.Header("Origin")
	if origin != "" {
		return e.OriginAllowed(origin) || (len(e.cfg.AllowedOrigins) == 0 && sameHost(origin, req.Header("Host")))
	}
	switch req.Header("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return false
	}
	return true
}

// OriginAllowed reports whether origin is one of the configured AllowedOrigins (exact match,
// case-insensitive scheme and host, as browsers serialise them).
func (e *Engine) OriginAllowed(origin string) bool {
	for _, o := range e.cfg.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// sameHost compares an Origin's host[:port] with the Host header.
func sameHost(origin, host string) bool {
	if host == "" {
		return false
	}
	for _, scheme := range []string{"https://", "http://"} {
		if rest, ok := strings.CutPrefix(origin, scheme); ok {
			return strings.EqualFold(rest, host)
		}
	}
	return false
}

// checkCSRF guards a cookie-authenticated, state-changing request. It changes nothing and never
// clears tokens on failure, so a forged cross-site request cannot even log the victim out.
func (e *Engine) checkCSRF(req Request, transfer TransferMethod, skip bool) *Error {
	if skip || e.cfg.AntiCSRF == CSRFNone || transfer != TransferCookie || safeMethod(req.Method()) {
		return nil
	}
	if req.Header(HeaderRID) == "" {
		return &Error{Kind: ErrCSRF, Reason: "missing rid header on a cookie-authenticated request"}
	}
	if !e.originAllowed(req) {
		return &Error{Kind: ErrCSRF, Reason: "origin not allowed"}
	}
	return nil
}
