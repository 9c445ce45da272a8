package gormtest

import (
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/sessiontest"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// TestKeyRingSuite runs the shared key ring's suite on every database: concurrent starts and
// rotations of ≥8 instances, rotations under load, revocation, KEK handling, JWKS.
func TestKeyRingSuite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		sessiontest.KeyRingSuite(t, func(t *testing.T) core.Store {
			s, _ := newStore(t, b, gormstore.Options{})
			return s
		})
	})
}
