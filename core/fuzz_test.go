package core

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// Fuzz targets. Run them with `make fuzz` (FUZZTIME per target); CI runs each briefly. Seeds
// live in testdata/fuzz/<Target>/ and in the f.Add calls.

func fuzzEngine(f *testing.F) (*Engine, *Tokens) {
	f.Helper()
	e, err := New(Config{Store: nopStore{}, Clock: NewFakeClock(time.Unix(1_900_000_000, 0))})
	if err != nil {
		f.Fatal(err)
	}
	rt := newRootToken(randomBytes(secretBytes), newHandle())
	at, v, err := e.signAccess("user-1", rt.handle, hash1(rt.String()), time.Unix(1_900_000_000, 0), map[string]any{"role": "x"}, e.cfg.Clock.Now())
	if err != nil {
		f.Fatal(err)
	}
	return e, &Tokens{AccessToken: at, RefreshToken: rt.String(), FrontToken: frontToken(v)}
}

func FuzzVerifyAccessToken(f *testing.F) {
	e, tok := fuzzEngine(f)
	f.Add(tok.AccessToken)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add(strings.Repeat(".", 100))
	f.Fuzz(func(t *testing.T, s string) {
		v, err := e.verifyAccessUncached(s, false)
		if err != nil {
			if !errors.Is(err, ErrTryRefresh) && !errors.Is(err, ErrUnauthorised) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		// Only our own token (or a byte-identical re-encoding) can verify.
		if s != tok.AccessToken || v.userID != "user-1" {
			t.Fatalf("accepted a token we did not issue: %q", s)
		}
	})
}

func FuzzParseRefreshToken(f *testing.F) {
	_, tok := fuzzEngine(f)
	f.Add(tok.RefreshToken)
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, s string) {
		rt, ok := parseRefreshToken(s)
		if !ok {
			return
		}
		if rt.String() != s {
			t.Fatalf("non-canonical refresh token parsed: %q re-encodes as %q", s, rt.String())
		}
	})
}

func FuzzCookieAndHeaderExtraction(f *testing.F) {
	e, tok := fuzzEngine(f)
	f.Add("sAccessToken="+tok.AccessToken, "Bearer "+tok.AccessToken)
	f.Add("__Secure-sRefreshToken=x; __Host-sAccessToken=y", "bearer  x")
	f.Fuzz(func(t *testing.T, cookie, auth string) {
		v, n := cookieValue(cookie, e.accessCookie)
		if n > 0 && !strings.Contains(cookie, v) {
			t.Fatalf("cookie value %q is not part of the header", v)
		}
		req := fakeRequest{h: map[string]string{"Authorization": auth}, cookie: cookie}
		at, _, _, _ := e.accessTokenFrom(req)
		rt, _, _ := e.refreshTokenFrom(req)
		for _, got := range []string{at, rt} {
			if got != "" && !strings.Contains(cookie+auth, got) {
				t.Fatalf("extracted %q from nowhere", got)
			}
		}
	})
}

func FuzzFrontToken(f *testing.F) {
	_, tok := fuzzEngine(f)
	f.Add(tok.FrontToken)
	f.Add("remove")
	f.Fuzz(func(t *testing.T, s string) {
		ft, err := DecodeFrontToken(s)
		if err != nil {
			return
		}
		re := frontToken(&verified{userID: ft.UID, expiry: time.UnixMilli(ft.ATE), claimsMap: ft.UP})
		back, err := DecodeFrontToken(re)
		if err != nil || back.UID != ft.UID || back.ATE != ft.ATE {
			t.Fatalf("front-token does not round-trip: %q", s)
		}
	})
}

func FuzzSignInBody(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.c","password":"pw"}`))
	f.Add([]byte(`{"email":"a","email":"b","password":"x"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sr, msg := parseSignIn(body)
		if (sr == nil) == (msg == "") {
			t.Fatalf("parseSignIn returned both or neither: %v %q", sr, msg)
		}
		if sr != nil && hasDuplicateMembers(body) {
			t.Fatal("accepted a body with duplicate members")
		}
	})
}

// fakeRequest is a Request over plain values, for fuzzing extraction without a server.
type fakeRequest struct {
	h      map[string]string
	cookie string
}

func (r fakeRequest) Method() string         { return "POST" }
func (r fakeRequest) Path() string           { return "/" }
func (r fakeRequest) Header(n string) string { return r.h[n] }
func (r fakeRequest) CookieHeader() string   { return r.cookie }
func (r fakeRequest) Query() string          { return "" }
func (r fakeRequest) Body() io.Reader        { return strings.NewReader("") }
func (r fakeRequest) RemoteAddr() string     { return "127.0.0.1:1" }
