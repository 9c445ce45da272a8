//go:build !race

package core_test

import (
	"context"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

// coldVerifyAllocs are the allocations of one cold verification (verify cache off) per
// algorithm, exactly: VerifyAccessToken's Session, the verified token, one copy of the token
// and one string holding the decoded header and payload, plus what the standard library's
// verify allocates
// (none for Ed25519; big.Ints and the ASN.1 re-encoding for ECDSA; bigmod for RSA). A change
// that allocates more fails here; one that allocates less says so, to lower the ceiling.
// Left out of -race builds, whose instrumentation allocates a varying amount.
var coldVerifyAllocs = map[string]float64{
	core.AlgEdDSA: 4,
	core.AlgES256: 25,
	core.AlgRS256: 13,
}

func TestColdVerifyAllocationCeilings(t *testing.T) {
	ctx := context.Background()
	for _, alg := range []string{core.AlgEdDSA, core.AlgES256, core.AlgRS256} {
		k := newColdKit(t, alg, false)
		n := testing.AllocsPerRun(50, func() {
			if _, err := k.e.VerifyAccessToken(ctx, k.tok, core.VerifyOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		if ceiling := coldVerifyAllocs[alg]; n > ceiling {
			t.Errorf("%s: a cold verify allocates %v times; the ceiling is %v", alg, n, ceiling)
		} else if n < ceiling {
			t.Logf("%s: a cold verify allocates %v times, below its ceiling %v: lower the ceiling", alg, n, ceiling)
		}
	}
}
