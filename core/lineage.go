package core

import (
	"strconv"
	"strings"
	"time"
)

// historyDepth bounds Record.History: how many superseded tokens older than the previous one
// a session remembers. Together with the previous token, a session recognises the last
// historyDepth+1 tokens it superseded (docs/ROTATION.md, "Each token's own grace window").
const historyDepth = 8

// superseded is one token of a lineage that a rotation replaced, and when.
type superseded struct {
	hash string    // H2 of the token
	at   time.Time // when its child became current
}

// decodeHistory parses Record.History: newest first, "hash.unixmicro" entries joined by ','.
// A malformed entry ends the list (it can only be a store fault; nothing older is trusted).
func decodeHistory(s string) []superseded {
	if s == "" {
		return nil
	}
	out := make([]superseded, 0, strings.Count(s, ",")+1)
	for s != "" {
		var entry string
		entry, s, _ = strings.Cut(s, ",")
		hash, micros, ok := strings.Cut(entry, ".")
		us, err := strconv.ParseInt(micros, 10, 64)
		if !ok || err != nil || hash == "" {
			break
		}
		out = append(out, superseded{hash: hash, at: time.UnixMicro(us).UTC()})
	}
	return out
}

func encodeHistory(h []superseded) string {
	var b strings.Builder
	for i, s := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.hash)
		b.WriteByte('.')
		b.WriteString(strconv.FormatInt(s.at.UnixMicro(), 10))
	}
	return b.String()
}

// nextHistory is the History to write when rec's current token is superseded at now: the
// previous token joins the history, and entries that can no longer be honoured (superseded a
// grace window or more before now) or that exceed historyDepth are dropped.
func (e *Engine) nextHistory(rec *Record, now time.Time) string {
	old := decodeHistory(rec.History)
	h := make([]superseded, 0, historyDepth)
	if rec.PreviousHash != "" {
		old = append([]superseded{{hash: rec.PreviousHash, at: rec.RotatedAt}}, old...)
	}
	for _, s := range old {
		if len(h) == historyDepth || !now.Before(s.at.Add(e.cfg.RotationGrace)) {
			break // newest first: everything after this one is older still
		}
		h = append(h, s)
	}
	return encodeHistory(h)
}

// lineagePosition finds the superseded token with hash h2 in rec: its depth behind the
// current token (1 for the previous token) and when it was superseded.
func lineagePosition(rec *Record, h2 string) (depth int, at time.Time, found bool) {
	if eq(h2, rec.PreviousHash) {
		return 1, rec.RotatedAt, true
	}
	for i, s := range decodeHistory(rec.History) {
		if eq(h2, s.hash) {
			return i + 2, s.at, true
		}
	}
	return 0, time.Time{}, false
}

// historyMayHaveDropped reports whether a genuine token missing from rec's history could
// still have been superseded less than a grace window before arrived: the history is full and
// even its oldest entry is inside the window, so older in-window tokens were dropped for
// room. Only a client that rotates more than historyDepth+1 times within one grace window can
// get here.
func (e *Engine) historyMayHaveDropped(rec *Record, arrived time.Time) bool {
	h := decodeHistory(rec.History)
	return len(h) == historyDepth && arrived.Before(h[len(h)-1].at.Add(e.cfg.RotationGrace))
}

// onLineage reports whether an access token minted for the refresh token whose H1 is rth1
// belongs to rec's remembered lineage: the current token, the previous one or one in the
// history. The strict check uses it.
func onLineage(rec *Record, rth1 string) bool {
	h2 := hash2FromHash1(rth1)
	if eq(h2, rec.CurrentHash) {
		return true
	}
	_, _, found := lineagePosition(rec, h2)
	return found
}
