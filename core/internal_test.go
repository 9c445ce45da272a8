package core

import (
	"strings"
	"testing"
	"time"
)

func TestRefreshTokenShapeAndDerivation(t *testing.T) {
	secret := randomBytes(secretBytes)
	h := newHandle()
	root := newRootToken(secret, h)
	s := root.String()
	if len(s) != refreshTokenLen {
		t.Fatalf("len = %d, want %d", len(s), refreshTokenLen)
	}
	p, ok := parseRefreshToken(s)
	if !ok || !p.validTag(secret) {
		t.Fatal("a fresh token does not parse or verify")
	}
	if p.validTag(randomBytes(secretBytes)) {
		t.Fatal("tag verified under another session's secret")
	}
	c1, c2 := p.child(secret).String(), p.child(secret).String()
	if c1 != c2 {
		t.Fatal("derivation is not deterministic")
	}
	if c1 == s || !strings.HasPrefix(c1, h+".") {
		t.Fatal("child must differ from its parent and keep the handle")
	}
	if other := newRootToken(secret, h); other.child(secret).String() == c1 {
		t.Fatal("different parents gave the same child")
	}
	// 10k roots: all distinct, none containing another's body.
	seen := map[string]bool{}
	for range 10000 {
		tok := newRootToken(secret, h).String()
		if seen[tok] {
			t.Fatal("duplicate refresh token")
		}
		seen[tok] = true
	}
}

func TestParseRefreshTokenRejects(t *testing.T) {
	good := newRootToken(randomBytes(secretBytes), newHandle()).String()
	bad := []string{
		"", "x", good + "A", good[:len(good)-1], strings.Replace(good, ".", "_", 1),
		strings.Replace(good, ".", "..", 1), "+" + good[1:], good[:30] + "/" + good[31:],
		good[:len(good)-1] + "\x00", strings.Repeat("A", refreshTokenLen),
	}
	// Non-canonical base64: the last char of a 22-char field carries 2 unused bits.
	last := good[len(good)-1]
	if last != 'B' {
		bad = append(bad, good[:len(good)-1]+"B")
	}
	for _, b := range bad {
		if _, ok := parseRefreshToken(b); ok && b != good {
			// A non-canonical variant may parse only if it decodes to different bytes.
			t.Errorf("parsed %q", b)
		}
	}
}

func TestCookieValue(t *testing.T) {
	cases := []struct {
		header, name, val string
		n                 int
	}{
		{"", "a", "", 0},
		{"a=1", "a", "1", 1},
		{"b=2; a=1", "a", "1", 1},
		{" a = 1 ;b=2", "a", "1", 1},
		{`a="q"`, "a", "q", 1},
		{"a=1; a=2", "a", "2", 2},
		{"__host-a=evil; __Host-a=good", "__Host-a", "good", 1},
		{"xa=1; ax=2", "a", "", 0},
		{"a", "a", "", 0},
	}
	for _, c := range cases {
		v, n := cookieValue(c.header, c.name)
		if v != c.val || n != c.n {
			t.Errorf("cookieValue(%q, %q) = %q, %d; want %q, %d", c.header, c.name, v, n, c.val, c.n)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { cookieValue("x=1; sAccessToken=abc; y=2", "sAccessToken") }); allocs != 0 {
		t.Errorf("cookieValue allocates %v times", allocs)
	}
}

type headerMap map[string]string

func (h headerMap) Header(n string) string    { return h[n] }
func (h headerMap) SetHeader(n, v string)     { h[n] = v }
func (h headerMap) AddHeader(n, v string)     { h[n] += v }
func (h headerMap) DelHeader(n string)        { delete(h, n) }
func (h headerMap) Write(int, string, []byte) {}

func TestAppendExposeKeepsExistingValues(t *testing.T) {
	h := headerMap{headerExpose: "X-Request-Id"}
	appendExpose(h, HeaderFrontToken)
	appendExpose(h, HeaderFrontToken, HeaderAccessToken)
	if got := h[headerExpose]; got != "X-Request-Id, front-token, st-access-token" {
		t.Errorf("expose = %q", got)
	}
}

func TestVerifyCache(t *testing.T) {
	c := newVerifyCache(16)
	now := time.Unix(1000, 0)
	c.put("a", &verified{expiry: now.Add(time.Minute)})
	if c.get("a", now, 0) == nil {
		t.Fatal("miss on a live entry")
	}
	if c.get("a", now.Add(time.Minute), 0) != nil {
		t.Fatal("hit at exp")
	}
	if c.get("a", now, 0) != nil {
		t.Fatal("an expired entry must be evicted")
	}
	c.put("b", &verified{expiry: now.Add(time.Minute)})
	if c.get("b", now.Add(time.Minute), time.Second) == nil {
		t.Fatal("skew must extend the entry's life")
	}
	for i := range 1000 {
		c.put(strings.Repeat("k", i+1), &verified{expiry: now.Add(time.Hour)})
	}
	c.mu.RLock()
	n := len(c.m)
	c.mu.RUnlock()
	if n > 16 {
		t.Fatalf("cache grew to %d entries, bound is 16", n)
	}
	c.flush()
	if c.get(strings.Repeat("k", 1000), now, 0) != nil {
		t.Fatal("flush kept entries")
	}
}

func TestHasDuplicateMembers(t *testing.T) {
	cases := map[string]bool{
		`{"a":1,"b":2}`:                   false,
		`{"a":1,"a":2}`:                   true,
		`{"a":{"b":1,"b":2}}`:             true,
		`{"a":[{"b":1},{"b":2}]}`:         false,
		`{"a":"a","b":"a"}`:               false,
		`{"a":{"x":1},"b":{"x":1}}`:       false,
		`{"a":[1,"a"],"a":0}`:             true,
		`{"a":1`:                          true,
		`not json`:                        true,
		`{"s":"\u0061","\u0061":1,"a":2}`: true,
	}
	for doc, want := range cases {
		if got := hasDuplicateMembers([]byte(doc)); got != want {
			t.Errorf("%s: got %v, want %v", doc, got, want)
		}
	}
}
