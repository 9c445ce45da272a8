//go:build !race

package bench

import (
	"testing"

	"github.com/ratchetauth/ratchet/internal/benchkit"
)

// warmCeiling is the allocations of one request in the ratchet_warm row (the whole request:
// router, Require on a cached token, handler), today: the adapter's per-request state, which is both the core.Response and the handler's context (1), net/http's copy of the request in WithContext (1), the core's Session (1) and the handler's Content-Type header (1, as in the bare row).
//
// The file is left out of -race builds, whose instrumentation allocates a varying amount;
// `make test` runs it in a plain build (the Makefile's test-alloc step).
const warmCeiling = 4

func TestAllocationCeilings(t *testing.T) {
	r := benchkit.Find(t, rows(t), "ratchet_warm")
	benchkit.Ceiling(t, r.Name, benchkit.AllocsPerRequest(t, r.Handler, r.Req), warmCeiling)
}
