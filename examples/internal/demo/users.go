package demo

import (
	"context"
	"crypto/subtle"
	"strings"

	"github.com/ratchetauth/ratchet/core"
)

// Users are the demo accounts, email → user id. Both use Settings.DemoPassword.
var Users = map[string]string{
	"alice@example.com": "user-alice",
	"bob@example.com":   "user-bob",
}

// Authenticate is the engine's sign-in hook for the demo users. A real app checks a password
// hash from its user table here.
func (s Settings) Authenticate(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	email := strings.ToLower(strings.TrimSpace(r.Email))
	id, ok := Users[email]
	// Compare even for unknown users, so that both failures take the same path.
	match := subtle.ConstantTimeCompare([]byte(r.Password), []byte(s.DemoPassword)) == 1
	if !ok || !match {
		return nil, core.ErrWrongCredentials
	}
	return &core.Identity{UserID: id, User: map[string]string{"id": id, "email": email}}, nil
}
