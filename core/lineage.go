package core

import (
	"strconv"
	"strings"
	"time"
)

// historyDepth bounds Record.History: how many superseded tokens a session remembers, the
// previous one included (docs/ROTATION.md, "Each token's own grace window").
const historyDepth = 9

// History entries are fixed-width, "<64 hex H2>.<16-digit unix micro>", so that a store can
// prepend one and keep a prefix of whole entries without parsing (Rotator).
const (
	historyEntryLen = 64 + 1 + 16
	historyMaxLen   = historyDepth*historyEntryLen + historyDepth - 1
)

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

// historyEntry encodes one entry at its fixed width.
func historyEntry(h2 string, at time.Time) string {
	var b [historyEntryLen]byte
	n := copy(b[:], h2)
	b[n] = '.'
	us := at.UnixMicro()
	for i := len(b) - 1; i > n; i-- {
		b[i] = byte('0' + us%10)
		us /= 10
	}
	return string(b[:])
}

func encodeHistory(h []superseded) string {
	var b strings.Builder
	for i, s := range h {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(historyEntry(s.hash, s.at))
	}
	return b.String()
}

// supersededTokens lists the superseded tokens rec remembers, newest first: the previous
// token, then those of the history superseded less than a grace window before the last
// rotation (older entries may still be stored: the one-statement rotation keeps whole entries
// without judging them, so the reader does). History written since issue #15 begins with the
// previous token; rows written before it do not, and are read both ways.
func (e *Engine) supersededTokens(rec *Record) []superseded {
	if rec.PreviousHash == "" {
		return nil
	}
	h := decodeHistory(rec.History)
	if len(h) == 0 || h[0].hash != rec.PreviousHash {
		h = append([]superseded{{hash: rec.PreviousHash, at: rec.RotatedAt}}, h...)
	}
	for i := 1; i < len(h); i++ {
		if !rec.RotatedAt.Before(h[i].at.Add(e.cfg.RotationGrace)) {
			return h[:i] // newest first: everything after this one is older still
		}
	}
	return h
}

// nextHistory is the History to write when rec's current token, with hash presented, is
// superseded at now: that token in front, then what rec remembers, historyDepth entries at
// most.
func (e *Engine) nextHistory(rec *Record, presented string, now time.Time) string {
	h := append([]superseded{{hash: presented, at: now}}, e.supersededTokens(rec)...)
	return encodeHistory(h[:min(len(h), historyDepth)])
}

// lineagePosition finds the superseded token with hash h2 in rec: its depth behind the
// current token (1 for the previous token) and when it was superseded.
func (e *Engine) lineagePosition(rec *Record, h2 string) (depth int, at time.Time, found bool) {
	for i, s := range e.supersededTokens(rec) {
		if eq(h2, s.hash) {
			return i + 1, s.at, true
		}
	}
	return 0, time.Time{}, false
}

// historyMayHaveDropped reports whether a genuine token missing from rec's history could
// still have been superseded less than a grace window before arrived: the history is full and
// even its oldest entry is inside the window, so older in-window tokens were dropped for
// room. Only a client that rotates more than historyDepth times within one grace window can
// get here.
func (e *Engine) historyMayHaveDropped(rec *Record, arrived time.Time) bool {
	h := e.supersededTokens(rec)
	return len(h) >= historyDepth && arrived.Before(h[len(h)-1].at.Add(e.cfg.RotationGrace))
}

// onLineage reports whether an access token minted for the refresh token whose H1 is rth1
// belongs to rec's remembered lineage: the current token, the previous one or one in the
// history. The strict check uses it.
func (e *Engine) onLineage(rec *Record, rth1 string) bool {
	h2 := hash2FromHash1(rth1)
	if eq(h2, rec.CurrentHash) {
		return true
	}
	_, _, found := e.lineagePosition(rec, h2)
	return found
}
