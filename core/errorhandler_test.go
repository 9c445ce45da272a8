package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// TestErrorHandler: the hook sees every error answer (middleware, library routes, 404 and 405
// under the base path, WriteError), after the protocol's own effects, and what it changes is
// what the client gets. The app below redirects browser navigations to its login page and
// wraps every other error in its own JSON, leaving SDK requests (rid header) untouched.
func TestErrorHandler(t *testing.T) {
	var seen []error
	e, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger(),
		ErrorHandler: func(_ context.Context, req core.Request, resp core.Response, r *core.ErrorResponse) {
			seen = append(seen, r.Err)
			if req == nil || req.Header("rid") != "" {
				return
			}
			if r.Status == 401 && strings.Contains(req.Header("Accept"), "text/html") {
				resp.SetHeader("Location", "/login")
				r.Status, r.ContentType, r.Body = http.StatusSeeOther, "", nil
				return
			}
			r.Body = []byte(`{"error":` + string(r.Body) + `}`)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	a := httpratchet.New(e)
	mux := http.NewServeMux()
	a.Mount(mux)
	mux.Handle("GET /api/me", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	mux.HandleFunc("GET /api/fail", func(w http.ResponseWriter, r *http.Request) {
		a.WriteError(w, r, core.ErrRateLimited)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	get := func(method, path string, hdr ...string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	if r, body := get("GET", "/api/me", "Accept", "text/html"); r.StatusCode != 303 || r.Header.Get("Location") != "/login" || body != "" {
		t.Errorf("browser navigation without a session: %d Location %q %q, want 303 to /login", r.StatusCode, r.Header.Get("Location"), body)
	}
	if r, body := get("GET", "/api/me", "rid", "session"); r.StatusCode != 401 || body != `{"message":"unauthorised"}` {
		t.Errorf("SDK request: %d %s, want the protocol's 401 untouched", r.StatusCode, body)
	}
	if r, body := get("GET", "/api/me"); r.StatusCode != 401 || body != `{"error":{"message":"unauthorised"}}` {
		t.Errorf("API request: %d %s, want the wrapped 401", r.StatusCode, body)
	}
	if r, body := get("GET", "/auth/nope"); r.StatusCode != 404 || body != `{"error":{"message":"not found"}}` {
		t.Errorf("unknown path under the base path: %d %s", r.StatusCode, body)
	}
	if r, body := get("GET", "/auth/signout"); r.StatusCode != 405 || r.Header.Get("Allow") != "POST" || body != `{"error":{"message":"method not allowed"}}` {
		t.Errorf("wrong method: %d Allow %q %s", r.StatusCode, r.Header.Get("Allow"), body)
	}
	r, body := get("GET", "/api/fail")
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" || !json.Valid([]byte(body)) || !strings.HasPrefix(body, `{"error":`) {
		t.Errorf("WriteError: %d Retry-After %q %s, want the wrapped 429 with the protocol's Retry-After", r.StatusCode, r.Header.Get("Retry-After"), body)
	}
	want := []error{core.ErrUnauthorised, core.ErrUnauthorised, core.ErrUnauthorised, core.ErrNoRoute, core.ErrMethodNotAllowed, core.ErrRateLimited}
	if len(seen) != len(want) {
		t.Fatalf("the hook saw %d errors, want %d: %v", len(seen), len(want), seen)
	}
	for i, w := range want {
		if !errors.Is(seen[i], w) {
			t.Errorf("error %d seen by the hook = %v, want one matching %v", i, seen[i], w)
		}
	}
}

// TestAuthorizeLetsOptionsThrough: the preflight rule lives in core. An OPTIONS request passes
// a session middleware without a session and without any answer written; any other method
// without a token gets the protocol's 401.
func TestAuthorizeLetsOptionsThrough(t *testing.T) {
	e, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	a := httpratchet.New(e)
	reached := 0
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached++
		if _, ok := httpratchet.Session(r.Context()); ok {
			t.Error("a session appeared on an OPTIONS request")
		}
		w.WriteHeader(204)
	}))
	for _, m := range []string{"OPTIONS", "GET", "POST"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(m, "/api/me", nil))
		want := 401
		if m == "OPTIONS" {
			want = 204
		}
		if w.Code != want {
			t.Errorf("%s without a token: %d, want %d", m, w.Code, want)
		}
	}
	if reached != 1 {
		t.Errorf("the handler ran %d times, want once (for OPTIONS)", reached)
	}
}
