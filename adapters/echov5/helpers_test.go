package echoratchet_test

import "github.com/ratchetauth/ratchet/internal/adaptercheck"

// The framework-neutral test helpers are adaptercheck's, shared with the other adapters'
// tests; these short names keep the tests readable.
const (
	signInBody    = adaptercheck.SignInBody
	accessCookie  = adaptercheck.AccessCookie
	refreshCookie = adaptercheck.RefreshCookie
)

var (
	do         = adaptercheck.Do
	newFixture = adaptercheck.NewFixture
	serve      = adaptercheck.Serve
)
