package core

import (
	"context"
	"errors"
	"time"
)

// ErrorResponse is an error answer the library is about to write. Config.ErrorHandler may
// change it before it is written.
type ErrorResponse struct {
	// Err is what failed. errors.Is matches the sentinel kinds (ErrUnauthorised, ErrTryRefresh,
	// ErrTokenTheft, ErrInvalidClaim, ErrCSRF, ErrForbidden, ErrBadRequest, ErrRateLimited, ErrOverloaded,
	// ErrMethodNotAllowed, ErrNoRoute, ErrStore …) and errors.As reads *Error.
	Err         error
	Status      int
	ContentType string
	Body        []byte
}

// The protocol's fixed error bodies.
var (
	bodyMethodNotAllowed = []byte(`{"message":"method not allowed"}`)
	bodyNotFound         = []byte(`{"message":"not found"}`)
)

// WriteError maps err to the protocol's status and body, clearing tokens where the protocol
// says so, then passes the answer to Config.ErrorHandler, if set, and writes it. Every adapter
// calls it, which keeps error responses byte-identical across frameworks. req may be nil when
// there is no request at hand; ErrorHandler then sees a nil Request.
func (e *Engine) WriteError(ctx context.Context, req Request, resp Response, err error) {
	r := &ErrorResponse{Err: err, ContentType: contentJSON}
	var re *Error
	if !errors.As(err, &re) {
		// A bare sentinel (or an app error wrapping one) maps like the typed error would.
		for _, kind := range []error{ErrUnauthorised, ErrTryRefresh, ErrTokenTheft, ErrInvalidClaim, ErrCSRF, ErrForbidden, ErrBadRequest, ErrRateLimited, ErrOverloaded} {
			if errors.Is(err, kind) {
				re = &Error{Kind: kind, Reason: err.Error()}
				break
			}
		}
	}
	if re == nil && (errors.Is(err, ErrDataTooLarge) || errors.Is(err, ErrTokenTooLarge)) {
		// The app asked to store more than the limits allow; the message names the limit.
		re = &Error{Kind: ErrBadRequest, Status: 413, Reason: err.Error()}
	}
	switch {
	case re == nil && (errors.Is(err, ErrStore) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		e.log.ErrorContext(ctx, "ratchet: session store failure", "err", err)
		setRetryAfter(resp, time.Second)
		r.Status, r.Body = 503, bodyStore
	case re == nil:
		e.log.ErrorContext(ctx, "ratchet: internal error", "err", err)
		r.Status, r.Body = 500, bodyInternal
	default:
		if re.ClearTokens {
			e.clearTokens(resp)
		}
		r.Status, r.Body = e.errorStatusBody(resp, re)
	}
	e.writeErrorResponse(ctx, req, resp, r)
}

// errorStatusBody is the wire answer for a typed error, setting Retry-After where it applies.
func (e *Engine) errorStatusBody(resp Response, re *Error) (int, []byte) {
	switch re.Kind {
	case ErrUnauthorised:
		return 401, bodyUnauthorised
	case ErrTryRefresh:
		return 401, bodyTryRefresh
	case ErrTokenTheft:
		return 401, bodyTheft
	case ErrCSRF:
		return 403, bodyCSRF
	case ErrForbidden:
		return 403, bodyForbidden
	case ErrRateLimited:
		setRetryAfter(resp, re.RetryAfter)
		return 429, bodyRateLimited
	case ErrOverloaded:
		setRetryAfter(resp, re.RetryAfter)
		return 503, bodyStore
	case ErrInvalidClaim:
		return 403, mustJSON(map[string]any{"message": "invalid claim", "claimValidationErrors": re.Claims})
	case ErrBadRequest:
		status := re.Status
		if status == 0 {
			status = 400
		}
		return status, mustJSON(map[string]string{"message": re.Reason})
	default:
		return 500, bodyInternal
	}
}

// writeErrorResponse gives the app's ErrorHandler its say, then writes r.
func (e *Engine) writeErrorResponse(ctx context.Context, req Request, resp Response, r *ErrorResponse) {
	if h := e.cfg.ErrorHandler; h != nil {
		h(ctx, req, resp, r)
	}
	resp.Write(r.Status, r.ContentType, r.Body)
}
