package core

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A strict JSON scanner for the access token's header and payload. It answers, without
// allocating for the documents we issue, the question the verifier asks of both segments:
// is this exactly one JSON document that encoding/json decodes, in which no object, at any
// depth, repeats a member name? encoding/json's own answer (a decode plus a Decoder.Token
// walk with a map per object) costs allocations per member, most of the verify path's 320. Documents the fast path cannot judge alone (a member name
// with an escape, more names per object than it remembers, deep nesting) are handed to
// encoding/json, so the answer is always encoding/json's.

const (
	scanMaxDepth      = 32 // nesting the fast path follows; deeper documents go to encoding/json
	scanMaxKeys       = 64 // member names remembered across the open objects
	scanMaxObjectKeys = 32 // names per object compared pairwise: bounds the work per name
)

// validJSON reports whether doc is one JSON value that encoding/json decodes (valid
// grammar, every number within float64's range) with no duplicate member names. It does not
// check UTF-8 (encoding/json does not either); callers that need it check first.
func validJSON(doc string) bool {
	s := jsonScanner{doc: doc}
	ok := s.value() && s.end()
	if s.undecided {
		b := []byte(doc)
		var v any
		return json.Unmarshal(b, &v) == nil && !hasDuplicateMembers(b)
	}
	return ok
}

// nameRef is a member name remembered by the scanner: its offset and length in doc.
type nameRef struct{ off, n int32 }

type jsonScanner struct {
	doc       string
	pos       int
	depth     int
	names     [scanMaxKeys]nameRef // names of the open objects, innermost last
	nnames    int
	undecided bool // the fast path gave up; encoding/json decides
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.doc) {
		switch s.doc[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// end reports whether only whitespace follows the value.
func (s *jsonScanner) end() bool {
	s.ws()
	return s.pos == len(s.doc)
}

func (s *jsonScanner) value() bool {
	s.ws()
	if s.pos >= len(s.doc) {
		return false
	}
	switch c := s.doc[s.pos]; {
	case c == '{':
		return s.object()
	case c == '[':
		return s.array()
	case c == '"':
		_, ok := s.str()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || isDigit(c):
		return s.number()
	}
	return false
}

func (s *jsonScanner) literal(lit string) bool {
	if len(s.doc)-s.pos < len(lit) || s.doc[s.pos:s.pos+len(lit)] != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number follows RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() bool {
	d, i := s.doc, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && isDigit(d[i]):
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	exponent := i < len(d) && (d[i] == 'e' || d[i] == 'E')
	if exponent {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	// encoding/json decodes numbers into float64 and fails beyond its range (1e400); only an
	// exponent or some 309 digits can get there.
	if exponent || i-s.pos > 300 {
		if _, err := strconv.ParseFloat(d[s.pos:i], 64); err != nil {
			return false
		}
	}
	s.pos = i
	return true
}

// str scans a string starting at its opening quote and reports whether it holds an escape.
// Control characters must be escaped; other bytes pass (UTF-8 is checked by the caller).
func (s *jsonScanner) str() (escaped, ok bool) {
	d, i := s.doc, s.pos+1
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return false, false
				}
				i += 6
			default:
				return false, false
			}
		default:
			i++
		}
	}
	return false, false
}

func isHex(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (s *jsonScanner) array() bool {
	if s.depth++; s.depth > scanMaxDepth {
		s.undecided = true
		return false
	}
	s.pos++ // [
	s.ws()
	if s.pos < len(s.doc) && s.doc[s.pos] == ']' {
		s.pos++
		s.depth--
		return true
	}
	for {
		if !s.value() {
			return false
		}
		s.ws()
		if s.pos >= len(s.doc) {
			return false
		}
		switch s.doc[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.depth--
			return true
		default:
			return false
		}
	}
}

func (s *jsonScanner) object() bool {
	if s.depth++; s.depth > scanMaxDepth {
		s.undecided = true
		return false
	}
	s.pos++ // {
	base := s.nnames
	s.ws()
	if s.pos < len(s.doc) && s.doc[s.pos] == '}' {
		s.pos++
		s.depth--
		return true
	}
	for {
		s.ws()
		if s.pos >= len(s.doc) || s.doc[s.pos] != '"' {
			return false
		}
		start := s.pos + 1
		escaped, ok := s.str()
		if !ok {
			return false
		}
		if escaped {
			// "a" and "\u0061" are the same name: let encoding/json compare decoded names.
			s.undecided = true
			return false
		}
		name := s.doc[start : s.pos-1]
		for _, r := range s.names[base:s.nnames] {
			if int(r.n) == len(name) && s.doc[r.off:r.off+r.n] == name {
				return false // a duplicate member: refused, whatever follows
			}
		}
		if s.nnames == len(s.names) || s.nnames-base == scanMaxObjectKeys {
			s.undecided = true
			return false
		}
		s.names[s.nnames] = nameRef{off: int32(start), n: int32(len(name))}
		s.nnames++
		s.ws()
		if s.pos >= len(s.doc) || s.doc[s.pos] != ':' {
			return false
		}
		s.pos++
		if !s.value() {
			return false
		}
		s.ws()
		if s.pos >= len(s.doc) {
			return false
		}
		switch s.doc[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			s.nnames = base
			s.depth--
			return true
		default:
			return false
		}
	}
}

// hasDuplicateMembers reports whether any JSON object in doc repeats a member name, or doc is
// not valid JSON. It decodes names, so "a" and "\u0061" are duplicates. validJSON falls back
// to it; request bodies (sign-in, admin) use it directly.
func hasDuplicateMembers(doc []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	type frame struct {
		obj  bool
		seen map[string]bool
		key  bool // next string token in an object is a key
	}
	var stack []*frame
	seenValue := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return len(stack) != 0 || !seenValue
		}
		if err != nil {
			return true
		}
		seenValue = true
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, seen: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.obj && top.key {
				if top.seen[v] {
					return true
				}
				top.seen[v] = true
				top.key = false
				continue
			}
			if top != nil && top.obj {
				top.key = true
			}
		default:
			if top != nil && top.obj {
				top.key = true
			}
		}
	}
}

// memberIter walks the members of a top-level JSON object that validJSON accepted. It does
// not re-validate; on any other input its results are meaningless.
type memberIter struct {
	doc string
	pos int
}

// newMemberIter reports false if doc (valid JSON) is not an object.
func newMemberIter(doc string) (memberIter, bool) {
	it := memberIter{doc: doc}
	it.ws()
	if it.pos >= len(doc) || doc[it.pos] != '{' {
		return it, false
	}
	it.pos++
	return it, true
}

func (it *memberIter) ws() {
	for it.pos < len(it.doc) {
		switch it.doc[it.pos] {
		case ' ', '\t', '\n', '\r':
			it.pos++
		default:
			return
		}
	}
}

// next returns the next member's name (decoded) and raw value, or ok false at the end.
func (it *memberIter) next() (name, value string, ok bool) {
	it.ws()
	if it.pos >= len(it.doc) || it.doc[it.pos] == '}' {
		return "", "", false
	}
	if it.doc[it.pos] == ',' {
		it.pos++
		it.ws()
	}
	start := it.pos
	it.skipString()
	name, _ = jsonString(it.doc[start:it.pos])
	it.ws()
	it.pos++ // :
	it.ws()
	start = it.pos
	it.skipValue()
	return name, it.doc[start:it.pos], true
}

func (it *memberIter) skipString() {
	i := it.pos + 1
	for it.doc[i] != '"' {
		if it.doc[i] == '\\' {
			i++
		}
		i++
	}
	it.pos = i + 1
}

func (it *memberIter) skipValue() {
	switch it.doc[it.pos] {
	case '"':
		it.skipString()
	case '{', '[':
		depth := 0
		for {
			switch it.doc[it.pos] {
			case '"':
				it.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			it.pos++
			if depth == 0 {
				return
			}
		}
	default: // a number or a literal
		for it.pos < len(it.doc) {
			switch it.doc[it.pos] {
			case ',', '}', ' ', '\t', '\n', '\r':
				return
			}
			it.pos++
		}
	}
}

// jsonString decodes a raw JSON value that is a string. Without escapes (and in valid UTF-8,
// which encoding/json would otherwise replace) it is a substring of raw, no copy; otherwise
// encoding/json decodes it.
func jsonString(raw string) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := true // ASCII without escapes: the common case, one pass
	for i := 0; i < len(inner); i++ {
		if c := inner[i]; c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain || strings.IndexByte(inner, '\\') < 0 && utf8.ValidString(inner) {
		return inner, true
	}
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return "", false
	}
	return s, true
}

// jsonNumber parses a raw JSON value that is a number as encoding/json does for a float64.
func jsonNumber(raw string) (float64, bool) {
	if len(raw) == 0 || raw[0] != '-' && !isDigit(raw[0]) {
		return 0, false
	}
	// An integer of at most 15 digits (every date claim we issue) is exact in a float64:
	// the value ParseFloat returns, without its general algorithm.
	if len(raw) <= 15 {
		i := 0
		if raw[0] == '-' {
			i = 1
		}
		var n int64
		j := i
		for ; j < len(raw) && isDigit(raw[j]); j++ {
			n = n*10 + int64(raw[j]-'0')
		}
		if j == len(raw) && j > i {
			if i == 1 {
				return -float64(n), true
			}
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(raw, 64)
	return f, err == nil
}

// appendJSONString appends s as encoding/json encodes a string (HTML-safe escaping). Strings
// of plain printable ASCII are copied directly; anything else goes through encoding/json so
// the bytes are always exactly its.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string always encodes
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
