package core

import (
	"errors"
	"fmt"
	"time"
)

// Sentinel kinds. Every error the engine returns for a request wraps exactly one of them, so
// callers can branch with errors.Is and read details with errors.As(err, **Error).
var (
	// ErrUnauthorised: no session, or a session that is gone. Wire: 401 {"message":"unauthorised"}.
	ErrUnauthorised = errors.New("unauthorised")
	// ErrTryRefresh: the access token is expired or cannot be verified; the client should
	// refresh. Wire: 401 {"message":"try refresh token"}.
	ErrTryRefresh = errors.New("try refresh token")
	// ErrTokenTheft: a genuine but superseded refresh token was presented; the session has been
	// revoked. Wire: 401 {"message":"token theft detected"}.
	ErrTokenTheft = errors.New("token theft detected")
	// ErrInvalidClaim: a claim validator failed. Wire: 403 with claimValidationErrors.
	ErrInvalidClaim = errors.New("invalid claim")
	// ErrCSRF: the anti-CSRF or Origin check failed. Wire: 403 {"message":"anti-csrf check failed"}.
	// Nothing is changed and no tokens are cleared, so a cross-site request cannot log anyone out.
	ErrCSRF = errors.New("anti-csrf check failed")
	// ErrForbidden: a verified session that may not use the route (the admin API's
	// AdminConfig.Allow said no). Wire: 403 {"message":"forbidden"}.
	ErrForbidden = errors.New("forbidden")
	// ErrBadRequest: a malformed request body. Wire: 400 {"message":…}.
	ErrBadRequest = errors.New("bad request")
	// ErrRateLimited: too many failed attempts. Wire: 429 {"message":"too many requests"} with
	// Retry-After. Never 401, which would send the SDK into its refresh loop.
	ErrRateLimited = errors.New("too many requests")
	// ErrMethodNotAllowed: a library route was asked with a method it does not serve. Wire: 405
	// {"message":"method not allowed"} with an Allow header.
	ErrMethodNotAllowed = errors.New("method not allowed")
	// ErrNoRoute: a path under BasePath that nothing serves. Wire: 404 {"message":"not found"}.
	ErrNoRoute = errors.New("not found")
)

// Error carries the details of a failed session operation. Kind is one of the sentinels above.
type Error struct {
	Kind   error
	Reason string // internal detail for logs; never sent to the client
	// ClearTokens asks the transport to remove the session's tokens from the client.
	ClearTokens bool
	// UserID and Handle identify the session, when known (always set for ErrTokenTheft).
	UserID, Handle string
	// Claims lists failed validators for ErrInvalidClaim.
	Claims []ClaimFailure
	// Status overrides the HTTP status for ErrBadRequest (413 for oversized bodies).
	Status int
	// RetryAfter is the wait for ErrRateLimited.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Reason == "" {
		return "ratchet: " + e.Kind.Error()
	}
	return fmt.Sprintf("ratchet: %s: %s", e.Kind.Error(), e.Reason)
}

// Unwrap lets errors.Is match the sentinel kind.
func (e *Error) Unwrap() error { return e.Kind }

// ClaimFailure is one failed claim validator, serialised as SuperTokens does.
type ClaimFailure struct {
	ID     string `json:"id"`
	Reason any    `json:"reason,omitempty"`
}

func unauthorised(reason string, clear bool) *Error {
	return &Error{Kind: ErrUnauthorised, Reason: reason, ClearTokens: clear}
}

func tryRefresh(reason string) *Error { return &Error{Kind: ErrTryRefresh, Reason: reason} }

// StoreError wraps a failure of the Store so that callers can tell infrastructure errors from
// session errors: errors.Is(err, ErrStore) holds, and the original error is still reachable.
type StoreError struct {
	Op  string
	Err error
}

// ErrStore matches every *StoreError with errors.Is.
var ErrStore = errors.New("ratchet: store failure")

func (e *StoreError) Error() string { return "ratchet: store " + e.Op + ": " + e.Err.Error() }

// Unwrap exposes the underlying error.
func (e *StoreError) Unwrap() []error { return []error{ErrStore, e.Err} }

func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	return &StoreError{Op: op, Err: err}
}
