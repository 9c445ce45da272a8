package core

import (
	"strings"
	"testing"
)

// BenchmarkVerifyParse is a cold verification without its signature check: what our code adds
// to the cryptography (split and decode, header allow-list, the payload's JSON and duplicate
// check, the claims; no key lookup or verify). Short enough to be steady on a loaded machine,
// where BenchmarkColdVerify's ratio is noisy.
func BenchmarkVerifyParse(b *testing.B) {
	k := newDiffKit(b, "")
	tok, _, err := k.e.signAccess("user-1", newHandle(), strings.Repeat("a", 64), diffNow, nil, diffNow)
	if err != nil {
		b.Fatal(err)
	}
	now := k.e.cfg.Clock.Now()
	b.ReportAllocs()
	for range b.N {
		t, r := splitJWS(tok)
		if r != nil {
			b.Fatal(r)
		}
		if _, r := parseJOSEHeader(t.header); r != nil {
			b.Fatal(r)
		}
		if !validJSON(t.payload) {
			b.Fatal("payload")
		}
		it, _ := newMemberIter(t.payload)
		if _, r := k.e.checkClaims(it, t.payload, false, now); r != nil {
			b.Fatal(r)
		}
	}
}
