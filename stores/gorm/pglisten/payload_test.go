package pglisten

import (
	"slices"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

const (
	h1 = "AAAAAAAAAAAAAAAAAAAAAA"
	h2 = "abcdefghijklmnopqrstuQ"
)

func TestParse(t *testing.T) {
	many := strings.TrimSuffix(strings.Repeat(h1+",", maxHandles), ",")
	tooMany := many + "," + h2
	for _, c := range []struct {
		payload string
		want    core.Notification
		ok      bool
	}{
		{"keys", core.Notification{Kind: core.NotifyKeys}, true},
		{"revoked", core.Notification{Kind: core.NotifyRevoked}, true},
		{"revoked:" + h1, core.Notification{Kind: core.NotifyRevoked, Handles: []string{h1}}, true},
		{"revoked:" + h1 + "," + h2, core.Notification{Kind: core.NotifyRevoked, Handles: []string{h1, h2}}, true},
		{"revoked:" + many, core.Notification{Kind: core.NotifyRevoked, Handles: strings.Split(many, ",")}, true},
		// Everything else: read the feed.
		{"", core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:", core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:" + h1 + ",", core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:," + h1, core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:" + h1 + ",," + h2, core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:" + h1 + " " + h2, core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:" + h1[:21], core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:" + h1 + "=", core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:" + tooMany, core.Notification{Kind: core.NotifyRevoked}, false},
		{"Revoked:" + h1, core.Notification{Kind: core.NotifyRevoked}, false},
		{"keys:" + h1, core.Notification{Kind: core.NotifyRevoked}, false},
		{"KEYS", core.Notification{Kind: core.NotifyRevoked}, false},
		{" keys", core.Notification{Kind: core.NotifyRevoked}, false},
		{"future-kind", core.Notification{Kind: core.NotifyRevoked}, false},
		{"revoked:\x00", core.Notification{Kind: core.NotifyRevoked}, false},
	} {
		got, ok := Parse(c.payload)
		if ok != c.ok || got.Kind != c.want.Kind || !slices.Equal(got.Handles, c.want.Handles) {
			t.Errorf("Parse(%.40q) = %+v, %v; want %+v, %v", c.payload, got, ok, c.want, c.ok)
		}
	}
}

// FuzzParse: Parse never panics, and what it returns is either a key notification, a
// revocation whose every handle is valid, or a revocation without handles.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"keys", "revoked", "revoked:" + h1, "revoked:" + h1 + "," + h2, "revoked:,", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		n, ok := Parse(payload)
		switch n.Kind {
		case core.NotifyKeys:
			if !ok || len(n.Handles) != 0 {
				t.Fatalf("keys with handles or not ok: %+v %v", n, ok)
			}
		case core.NotifyRevoked:
			if !ok && len(n.Handles) != 0 {
				t.Fatalf("malformed payload with handles: %+v", n)
			}
			for _, h := range n.Handles {
				if !core.ValidHandle(h) {
					t.Fatalf("invalid handle %q passed", h)
				}
			}
		default:
			t.Fatalf("kind %q", n.Kind)
		}
	})
}
