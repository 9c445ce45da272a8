package demotest

import (
	"testing"

	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

// All runs every check of the example contract on build's app, one subtest each:
//
//   - Contract: the contract over real HTTP on this framework's routes.
//   - Process: the real main (fail-fast messages, banner, SQLite default, SIGTERM).
//   - Timeouts: a trickled header or body, an idle or silent connection is disconnected.
//   - Pool: DB_MAX_OPEN_CONNS bounds the connections the app holds under a refresh burst
//     (PostgreSQL, MariaDB).
//   - Fleet: two instances with the same API_ORIGIN and RATCHET_KEK accept each other's
//     tokens (PostgreSQL, MariaDB); an https API_ORIGIN gives Secure, prefixed cookies; an
//     admin on one revokes a session used on the other, which then fails there.
//   - Metrics: no /metrics by default; with METRICS=1 the real main serves the Prometheus
//     metrics, which count a sign-in and a refresh.
//
// An example's main_test.go is then TestMain (see Main) and one test calling All.
func All(t *testing.T, build func(*demo.App) demo.Server) {
	t.Run("Contract", func(t *testing.T) { Contract(t, build) })
	t.Run("Process", Process)
	t.Run("Timeouts", Timeouts)
	t.Run("Pool", Pool)
	t.Run("Fleet", Fleet)
	t.Run("Metrics", func(t *testing.T) { Metrics(t, build) })
}
