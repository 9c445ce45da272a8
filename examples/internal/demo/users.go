package demo

import (
	"context"
	"crypto/subtle"
	"strings"

	"github.com/ratchetauth/ratchet/core"
)

// Users are the demo accounts, email → user id. All use Settings.DemoPassword.
var Users = map[string]string{
	"alice@example.com": "user-alice",
	"bob@example.com":   "user-bob",
	"admin@example.com": AdminUserID,
}

// AdminUserID is the demo administrator: the only user whose sessions carry the claim
// role: "admin", which the admin API and dashboard ({base}/admin/) require (IsAdmin).
const AdminUserID = "user-admin"

// IsAdmin is the engine's Admin.Allow: the verified session's role claim says admin. The
// claim is set at sign-in (Authenticate) and cannot be changed by the client.
func IsAdmin(_ context.Context, s *core.Session) bool { return s.Claim("role") == "admin" }

// FindUsers is the admin search: a demo email (any case) to its user id.
func FindUsers(_ context.Context, q string) ([]string, error) {
	if id, ok := Users[strings.ToLower(strings.TrimSpace(q))]; ok {
		return []string{id}, nil
	}
	return nil, nil
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
	ident := &core.Identity{UserID: id, User: map[string]string{"id": id, "email": email}}
	if id == AdminUserID {
		ident.Payload = map[string]any{"role": "admin"}
	}
	return ident, nil
}
