package httpratchet_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

func newFixture(t *testing.T) (*adaptertest.Fixture, *httpratchet.Adapter) {
	t.Helper()
	f := adaptercheck.NewFixture(t)
	return f, httpratchet.New(f.Engine)
}

var serve = adaptercheck.Serve

// TestHTTPSuite runs the conformance suite on http.ServeMux with the library routes mounted at
// /auth/ through Handler.
func TestHTTPSuite(t *testing.T) {
	f, _ := newFixture(t)
	srv := serve(t, nethttptest.NewServer(f))
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}

// TestHTTPSuiteRoutesMiddleware runs it with the library routes served by the Routes
// middleware around the whole app instead.
func TestHTTPSuiteRoutesMiddleware(t *testing.T) {
	f, a := newFixture(t)
	mux := http.NewServeMux()
	nethttptest.Routes(mux, a, f)
	srv := serve(t, a.CORS(a.Routes(mux)))
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}

func TestNewPanicsOnNilEngine(t *testing.T) {
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("New(nil) did not panic")
		}
		if msg, _ := r.(string); !strings.Contains(msg, "nil") {
			t.Errorf("panic message %q should say the engine is nil", r)
		}
	}()
	httpratchet.New(nil)
}

func TestEngineAccessor(t *testing.T) {
	f, a := newFixture(t)
	if a.Engine() != f.Engine {
		t.Error("Engine() does not return the engine passed to New")
	}
}

func TestRoutesPassesRequestsOutsideTheBasePath(t *testing.T) {
	_, a := newFixture(t)
	var got []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Method+" "+r.URL.Path)
		w.Header().Set("X-Next", "1")
		w.WriteHeader(http.StatusTeapot)
	})
	srv := serve(t, a.Routes(next))
	cases := []struct {
		method, path string
		toNext       bool
		status       int
	}{
		{"GET", "/", true, http.StatusTeapot},
		{"GET", "/api/me", true, http.StatusTeapot},
		{"GET", "/auth", true, http.StatusTeapot},         // the base path itself is not a route
		{"GET", "/authx/signin", true, http.StatusTeapot}, // a sibling prefix is not the base path
		{"GET", "/auth/unknown", false, 404},              // the base path is the library's: the core's 404
		{"POST", "/api/auth/signin", true, http.StatusTeapot},
		{"GET", "/auth/jwt/jwks.json", false, 200},
		{"GET", "/auth/signout", false, 405},
		{"POST", "/auth/session/refresh", false, 401},
	}
	for _, c := range cases {
		got = nil
		req, _ := http.NewRequest(c.method, srv.URL+c.path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if passed := len(got) == 1; passed != c.toNext {
			t.Errorf("%s %s: passed to next = %v, want %v", c.method, c.path, passed, c.toNext)
		}
		if (resp.Header.Get("X-Next") == "1") != c.toNext {
			t.Errorf("%s %s: response mixes library and app handlers", c.method, c.path)
		}
	}
}

func TestHandlerAnswers404ForUnknownPaths(t *testing.T) {
	_, a := newFixture(t)
	srv := serve(t, a.Handler())
	for _, p := range []string{"/auth/unknown", "/auth", "/other"} {
		resp, err := srv.Client().Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}

func TestMustSessionPanicsWithoutSession(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	if _, ok := httpratchet.Session(req.Context()); ok {
		t.Fatal("Session reports a session on a bare context")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustSession did not panic without a session")
		}
	}()
	httpratchet.MustSession(req.Context())
}

// signIn creates a header-mode session for user-1 through Adapter.CreateSession.
func signIn(t *testing.T, a *httpratchet.Adapter) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/login", nil)
	s, err := a.CreateSession(rec, req, "user-1", core.CreateOptions{Payload: map[string]any{"plan": "pro"}})
	if err != nil {
		t.Fatal(err)
	}
	at := rec.Header().Get(core.HeaderAccessToken)
	if at == "" || s.UserID() != "user-1" || rec.Header().Get(core.HeaderFrontToken) == "" {
		t.Fatalf("CreateSession wrote no header-mode tokens: %v", rec.Header())
	}
	return at
}

func TestMiddlewarePutsSessionInContext(t *testing.T) {
	_, a := newFixture(t)
	at := signIn(t, a)
	var seen *core.Session
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = httpratchet.MustSession(r.Context())
		w.WriteHeader(204)
	}))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 204 || seen == nil || seen.UserID() != "user-1" || seen.Claim("plan") != "pro" {
		t.Fatalf("status %d, session %v", rec.Code, seen)
	}

	// Without a token Require answers 401 and never calls the handler.
	seen = nil
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 401 || seen != nil {
		t.Errorf("no token: status %d, handler called %v", rec.Code, seen != nil)
	}
}

func TestOptionalWithoutTokenHasNoSession(t *testing.T) {
	_, a := newFixture(t)
	called := false
	h := a.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		if _, ok := httpratchet.Session(r.Context()); ok {
			t.Error("Optional without a token put a session in the context")
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	if !called {
		t.Error("Optional without a token did not call the handler")
	}
}

// TestVerifyLetsPreflightsThrough: OPTIONS reaches the next handler (for example a framework
// CORS handler) without a session check, behind every session middleware.
func TestVerifyLetsPreflightsThrough(t *testing.T) {
	f, a := newFixture(t)
	reached := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "options reached "+r.URL.Path)
	})
	mux := http.NewServeMux()
	mux.Handle("OPTIONS /require", a.Require(reached))
	mux.Handle("OPTIONS /strict", a.RequireStoreCheck(reached))
	mux.Handle("OPTIONS /optional", a.Optional(reached))
	mux.Handle("OPTIONS /verify", a.Verify(core.VerifyOptions{Validators: []core.ClaimValidator{f.AdminOnly()}})(reached))
	mux.Handle("/global/x", a.Require(reached))
	adaptercheck.OptionsPassThrough(t, serve(t, mux).URL, []string{"/require", "/strict", "/optional", "/verify", "/global/x"}, "/global/x")
}

func TestWriteErrorMapsSessionErrors(t *testing.T) {
	f, a := newFixture(t)
	at := signIn(t, a)
	s, err := f.Engine.VerifyAccessToken(t.Context(), at, core.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A data read on a revoked session is ErrUnauthorised; WriteError makes it the protocol's
	// 401 and clears the client's tokens.
	_, err = s.Data(t.Context())
	if !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("Data on a revoked session: %v", err)
	}
	rec := httptest.NewRecorder()
	a.WriteError(rec, httptest.NewRequest("GET", "/x", nil), err)
	if rec.Code != 401 || rec.Header().Get(core.HeaderFrontToken) != "remove" ||
		!strings.Contains(rec.Body.String(), `"unauthorised"`) {
		t.Errorf("WriteError: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}

// TestExposeHeadersSetTwiceByAppMiddlewareSurvive: app middleware around the fixture server
// exposes its own headers in two fields; core's token headers are appended, never replacing
// them.
func TestExposeHeadersSetTwiceByAppMiddlewareSurvive(t *testing.T) {
	f, _ := newFixture(t)
	app := nethttptest.NewServer(f)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Access-Control-Expose-Headers", "X-Request-Id")
		w.Header().Add("Access-Control-Expose-Headers", "X-Trace-Id")
		app.ServeHTTP(w, r)
	}))
	adaptercheck.ExposeHeadersAppended(t, srv.URL)
}
