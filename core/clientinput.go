package core

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds of the client-supplied strings a session row keeps.
const (
	maxUserAgentBytes = 512 // the stores' user_agent column
	maxIPBytes        = 64  // the stores' ip column
	maxUserIDBytes    = 255 // the stores' user_id column
)

// cleanClientString is the one normalisation of every string that comes from a request and
// is stored or compared: it replaces invalid UTF-8 and control characters (C0, DEL, C1 and
// the Unicode line separators) with U+FFFD and cuts the result to at most max bytes on a rune
// boundary. Applying it both before storing and before comparing is what keeps a stored
// value and a freshly read one equal: a database rejects invalid UTF-8 or NUL (PostgreSQL),
// and a column truncates what is too long.
func cleanClientString(s string, max int) string {
	clean := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || isControl(r) {
			clean = false
			break
		}
		i += size
	}
	if clean && len(s) <= max {
		return s
	}
	if !clean {
		s = strings.Map(func(r rune) rune {
			if isControl(r) {
				return utf8.RuneError
			}
			return r
		}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func isControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// userAgent is the request's User-Agent, normalised for storing, comparing and logging.
func userAgent(req Request) string {
	return cleanClientString(req.Header("User-Agent"), maxUserAgentBytes)
}

// validUserID reports whether an app-supplied user id can be stored as is: non-empty, valid
// UTF-8 without control characters, and short enough for the stores' column. It is checked,
// not normalised, because two different ids must never become one.
func validUserID(id string) bool {
	return id != "" && len(id) <= maxUserIDBytes && cleanClientString(id, maxUserIDBytes) == id
}
