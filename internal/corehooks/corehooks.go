// Package corehooks lets this repository's test kits reach engine internals that are not API:
// package core fills the variables in at init. They take the engine as any because core
// imports this package; internal/testkit wraps them in typed functions.
package corehooks

import "context"

var (
	// PollRevocations reads the engine's revocation feed once, as its background poller does.
	PollRevocations func(engine any, ctx context.Context) error
	// CookieNames returns the access and refresh cookie names in use (with their prefixes).
	CookieNames func(engine any) (access, refresh string)
	// RefreshPath returns the refresh route, which is the refresh cookie's Path.
	RefreshPath func(engine any) string
)
