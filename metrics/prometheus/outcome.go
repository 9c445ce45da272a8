package promratchet

import (
	"github.com/ratchetauth/ratchet/core"
)

// Outcomes of an operation, the values of the outcome label: core.Outcome's.
const (
	OutcomeOK       = core.OutcomeOK       // the operation succeeded
	OutcomeRejected = core.OutcomeRejected // an answer, not a failure: a wrong password, an expired or stolen token, a CSRF refusal, a missing row
	OutcomeShed     = core.OutcomeShed     // refused by admission control (core.ErrOverloaded): the store was saturated
	OutcomeError    = core.OutcomeError    // a real failure: the store failed (core.ErrStore), a context ended, or an unexpected error
)

// outcomes are the outcome label's values, indexed by what outcome returns.
var outcomes = [...]string{isOK: OutcomeOK, isRejected: OutcomeRejected, isShed: OutcomeShed, isError: OutcomeError}

const (
	isOK = iota
	isRejected
	isShed
	isError
)

// outcome is core.Outcome as an index into outcomes (and the pre-resolved label children).
func outcome(err error) int {
	switch core.Outcome(err) {
	case OutcomeOK:
		return isOK
	case OutcomeRejected:
		return isRejected
	case OutcomeShed:
		return isShed
	}
	return isError
}
