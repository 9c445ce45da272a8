//go:build !race

package core

import (
	"strings"
	"testing"
)

// signAccess and the front-token it carries allocate twice for an EdDSA key: the verified
// record and the one string that holds payload, token and front-token (ES256 and RS256 add
// what their signing allocates). A custom payload adds encoding/json's Marshal.
// Left out of -race builds, whose instrumentation allocates a varying amount.
func TestSignAccessAllocations(t *testing.T) {
	k := newDiffKit(t, "")
	handle, rth1 := newHandle(), strings.Repeat("a", 64)
	custom := map[string]any{}
	n := testing.AllocsPerRun(100, func() {
		_, v, err := k.e.signAccess("user-1", handle, rth1, diffNow, custom, diffNow)
		if err != nil || frontToken(v) == "" {
			t.Fatal(err)
		}
	})
	const ceiling = 2
	if n > ceiling {
		t.Errorf("signAccess + frontToken allocate %v times; the ceiling is %v", n, ceiling)
	} else if n < ceiling {
		t.Logf("signAccess + frontToken allocate %v times, below the ceiling %v: lower it", n, ceiling)
	}
}
