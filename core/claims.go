package core

// ClaimValidator checks the access-token payload on a protected route. A failure answers 403
// with {"message":"invalid claim","claimValidationErrors":[…]}, which the frontend SDK surfaces
// without refreshing.
type ClaimValidator struct {
	// ID names the validator in the response, e.g. "st-role".
	ID string
	// Validate returns nil when the payload is acceptable, or a JSON-serialisable reason.
	Validate func(payload map[string]any) (reason any)
}

// HasClaim returns a validator that requires payload[key] to equal want (compared as JSON
// scalars: strings, booleans, float64 numbers).
func HasClaim(key string, want any) ClaimValidator {
	return ClaimValidator{ID: key, Validate: func(p map[string]any) any {
		got, ok := p[key]
		if !ok {
			return map[string]any{"message": "value does not exist", "expectedValue": want}
		}
		if got != want {
			return map[string]any{"message": "wrong value", "expectedValue": want, "actualValue": got}
		}
		return nil
	}}
}

func runValidators(vs []ClaimValidator, payload map[string]any) []ClaimFailure {
	var fails []ClaimFailure
	for _, v := range vs {
		if reason := v.Validate(payload); reason != nil {
			fails = append(fails, ClaimFailure{ID: v.ID, Reason: reason})
		}
	}
	return fails
}
