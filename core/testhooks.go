package core

import (
	"context"

	"github.com/ratchetauth/ratchet/internal/corehooks"
)

// The repository's own test kits read these internals through internal/corehooks; they are not
// API.
func init() {
	corehooks.PollRevocations = func(e any, ctx context.Context) error { return e.(*Engine).pollRevocations(ctx) }
	corehooks.CookieNames = func(e any) (string, string) { return e.(*Engine).accessCookie, e.(*Engine).refreshCookie }
	corehooks.RefreshPath = func(e any) string { return e.(*Engine).refreshPath }
}
