package core

import "time"

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

// RequireRecentAuth returns a validator that passes only if the user signed in (auth_time)
// within maxAge, for sensitive actions such as changing a password or revoking other sessions.
// Refreshing never renews auth_time; the user must sign in again.
func (e *Engine) RequireRecentAuth(maxAge time.Duration) ClaimValidator {
	return ClaimValidator{ID: "auth_time", Validate: func(p map[string]any) any {
		at, ok := p["auth_time"].(float64)
		if !ok {
			return map[string]any{"message": "value does not exist"}
		}
		age := e.cfg.Clock.Now().Sub(time.Unix(int64(at), 0))
		if age > maxAge {
			return map[string]any{"message": "re-authentication required", "maxAgeInSeconds": int64(maxAge / time.Second),
				"ageInSeconds": int64(age / time.Second)}
		}
		return nil
	}}
}
