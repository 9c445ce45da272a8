//go:build !race

package bench_test

import (
	"testing"

	"github.com/ratchetauth/ratchet/internal/benchkit"
)

// warmCeiling is the allocations of one request in the ratchet_warm row (the whole request:
// router, Require on a cached token, handler), today: the adapter's copy of the bearer token
// out of fasthttp's reused buffer (1: the core keeps it) and the core's Session (1).
//
// The file is left out of -race builds, whose instrumentation allocates a varying amount;
// `make test` runs it in a plain build (the Makefile's test-alloc step).
const warmCeiling = 2

func TestAllocationCeilings(t *testing.T) {
	var r row
	for _, x := range rows(t) {
		if x.name == "ratchet_warm" {
			r = x
		}
	}
	bad := 0
	n := testing.AllocsPerRun(1000, func() {
		r.h(r.req)
		if !ok(r.req) {
			bad++
		}
	})
	if bad > 0 {
		t.Fatalf("%d responses were not 200 %q", bad, benchkit.UserID)
	}
	benchkit.Ceiling(t, r.name, n, warmCeiling)
}
