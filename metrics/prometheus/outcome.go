package promratchet

import (
	"context"
	"errors"

	"github.com/ratchetauth/ratchet/core"
)

// Outcomes of an operation, the values of the outcome label.
const (
	OutcomeOK       = "ok"       // the operation succeeded
	OutcomeRejected = "rejected" // an answer, not a failure: a wrong password, an expired or stolen token, a CSRF refusal, a missing row
	OutcomeShed     = "shed"     // refused by admission control (core.ErrOverloaded): the store was saturated
	OutcomeError    = "error"    // a real failure: the store failed (core.ErrStore), a context ended, or an unexpected error
)

// outcomes are the outcome label's values, indexed by what outcome returns.
var outcomes = [...]string{isOK: OutcomeOK, isRejected: OutcomeRejected, isShed: OutcomeShed, isError: OutcomeError}

const (
	isOK = iota
	isRejected
	isShed
	isError
)

// outcome classifies the error an operation ended with. Answers are the protocol's refusals:
// every *core.Error (unauthorised, try refresh, token theft, CSRF, bad request, rate limited,
// …), a wrong password, the session limit and a row that does not exist. Store failures and
// ended contexts are failures whatever wraps them, and so is anything unexpected: an error
// the engine does not know is never counted as a harmless answer.
func outcome(err error) int {
	switch {
	case err == nil:
		return isOK
	case errors.Is(err, core.ErrStore), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return isError
	case errors.Is(err, core.ErrOverloaded):
		return isShed
	}
	if isCoreError(err) || errors.Is(err, core.ErrWrongCredentials) || errors.Is(err, core.ErrSessionLimit) ||
		errors.Is(err, core.ErrNotFound) {
		return isRejected
	}
	return isError
}

// isCoreError reports whether err is or wraps a *core.Error. It is errors.As without the
// allocation of its target.
func isCoreError(err error) bool {
	for err != nil {
		switch x := err.(type) {
		case *core.Error:
			return true
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				if isCoreError(e) {
					return true
				}
			}
			return false
		default:
			return false
		}
	}
	return false
}
