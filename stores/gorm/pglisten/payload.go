package pglisten

import (
	"strings"

	"github.com/ratchetauth/ratchet/core"
)

// maxHandles bounds the handles one payload may list (a NOTIFY payload is below 8000 bytes,
// which leaves room for about 340 handles).
const maxHandles = 400

// Parse turns a payload that gormstore sent into a notification:
//
//	revoked:<handle>[,<handle>…]   → {Kind: core.NotifyRevoked, Handles: [...]}
//	revoked                        → {Kind: core.NotifyRevoked} (read the revocation feed)
//	keys                           → {Kind: core.NotifyKeys}
//
// Anything else (an unknown kind, an empty or invalid handle, a stray separator, too many
// handles) is reported as not ok and becomes {Kind: core.NotifyRevoked} without handles: the
// engine then reads the revocation feed, which is always safe. Parse never panics.
func Parse(payload string) (core.Notification, bool) {
	feed := core.Notification{Kind: core.NotifyRevoked}
	switch payload {
	case core.NotifyKeys:
		return core.Notification{Kind: core.NotifyKeys}, true
	case core.NotifyRevoked:
		return feed, true
	}
	list, ok := strings.CutPrefix(payload, core.NotifyRevoked+":")
	if !ok || list == "" || strings.Count(list, ",") >= maxHandles {
		return feed, false
	}
	handles := strings.Split(list, ",")
	for _, h := range handles {
		if !core.ValidHandle(h) {
			return feed, false
		}
	}
	return core.Notification{Kind: core.NotifyRevoked, Handles: handles}, true
}
