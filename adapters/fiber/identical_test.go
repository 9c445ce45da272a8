package fiberratchet_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// churn re-issues the access token twice and then revokes the session, so one response
// carries three Set-Cookie lines for the access cookie and one for the refresh cookie.
func churn(ctxSession func() *core.Session) (int, []byte, error) {
	s := ctxSession()
	for _, v := range []string{"a", "b"} {
		if err := s.MergePayload(nilCtx(), map[string]any{"step": v}); err != nil {
			return 0, nil, err
		}
	}
	if err := s.Revoke(nilCtx()); err != nil {
		return 0, nil, err
	}
	return 200, []byte(`{"status":"OK"}`), nil
}

// referenceServer serves the fixture (nethttptest) through the net/http reference adapter,
// plus GET /api/churn.
func referenceServer(t *testing.T, f *adaptertest.Fixture) string {
	h, mux, a := nethttptest.Server(f, nil)
	mux.Handle("GET /api/churn", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, body, err := churn(func() *core.Session { return httpratchet.MustSession(r.Context()) })
		nethttptest.Reply(a, w, r, st, body, err)
	})))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// fiberServer serves the same fixture (fibertest), plus GET /api/churn, through the Fiber
// adapter.
func fiberServer(t *testing.T, f *adaptertest.Fixture) string {
	app, a := fixtureApp(f, nil)
	app.Get("/api/churn", a.Require, func(c *fiber.Ctx) error {
		st, body, err := churn(func() *core.Session { return fiberratchet.MustSession(c) })
		return send(a, c, st, body, err)
	})
	return serve(t, app)
}

// TestByteIdenticalToNetHTTP sends the same requests to the Fiber adapter and to the net/http
// reference adapter over one engine and demands the same status, body and core headers
// (adaptercheck.ResponsesMatchNetHTTP), plus a response with same-name Set-Cookie lines.
func TestByteIdenticalToNetHTTP(t *testing.T) {
	f := newFixture(t)
	adaptercheck.ResponsesMatchNetHTTP(t, f, fiberServer(t, f),
		adaptercheck.Reference(referenceServer(t, f)), adaptercheck.CoreHeadersOnly(),
		adaptercheck.ExtraCases(adaptercheck.NetHTTPCase{Name: "same-name cookies", Method: "GET", Path: "/api/churn",
			Headers: func(k adaptercheck.Creds) []string {
				return []string{"Cookie", adaptercheck.AccessCookie + "=" + k.AccessCookie, "rid", "session"}
			}}))
}
