package main

import (
	"testing"

	"github.com/ratchetauth/ratchet/examples/internal/demo/demotest"
)

func TestMain(m *testing.M) { demotest.Main(m, main) }

// TestContract checks the example contract over real HTTP on this framework's routes.
func TestContract(t *testing.T) { demotest.Contract(t, server) }

// TestProcess runs the real main: fail-fast messages, banner, SQLite default, SIGTERM.
func TestProcess(t *testing.T) { demotest.Process(t) }

// TestTimeouts: a trickled header or body, an idle or silent connection is disconnected.
func TestTimeouts(t *testing.T) { demotest.Timeouts(t) }

// TestPool: DB_MAX_OPEN_CONNS bounds the connections the app holds under a refresh burst
// (PostgreSQL, MariaDB).
func TestPool(t *testing.T) { demotest.Pool(t) }

// TestFleet: two instances with the same API_ORIGIN and RATCHET_KEK accept each other's
// tokens (PostgreSQL, MariaDB); an https API_ORIGIN gives Secure, prefixed cookies.
func TestFleet(t *testing.T) { demotest.Fleet(t) }
