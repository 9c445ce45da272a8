package core

import "io"

// Request is the read side of an HTTP request, implemented by each adapter over its framework's
// request type. Values must stay valid for as long as the core holds them; adapters over
// reused buffers (fasthttp) must copy.
type Request interface {
	Method() string
	// Path is the URL path, without query.
	Path() string
	// Query is the raw URL query, without the "?" ("userId=u-1&limit=50"). Only the admin API
	// reads it.
	Query() string
	// Header returns the first value of the header, "" if absent. Header("Host") returns the
	// request's host.
	Header(name string) string
	// CookieHeader returns the raw Cookie header; several Cookie fields are joined with "; ".
	CookieHeader() string
	// Body returns the request body. The core reads it only on the sign-in route, bounded by
	// Config.MaxBodyBytes.
	Body() io.Reader
	// RemoteAddr is the peer address ("ip:port" or "ip").
	RemoteAddr() string
}

// Response is the write side. Headers must be set before Write, which sends the status and body.
type Response interface {
	// Header returns the header's current value; several fields are joined with ", ".
	Header(name string) string
	SetHeader(name, value string)
	// AddHeader appends a value; used for Set-Cookie and Vary, so every value must survive.
	AddHeader(name, value string)
	DelHeader(name string)
	Write(status int, contentType string, body []byte)
}

// TransferMethod says how tokens travel between client and server.
type TransferMethod uint8

const (
	// TransferHeader: Authorization: Bearer in, st-access-token/st-refresh-token out.
	TransferHeader TransferMethod = iota + 1
	// TransferCookie: HttpOnly cookies both ways.
	TransferCookie
)

func (t TransferMethod) String() string {
	switch t {
	case TransferHeader:
		return "header"
	case TransferCookie:
		return "cookie"
	}
	return "none"
}

// txContext remembers where a session's tokens go when they are re-issued mid-request.
type txContext struct {
	resp     Response
	transfer TransferMethod
}
