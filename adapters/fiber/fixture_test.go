package fiberratchet_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/adapters/fiber/fibertest"
	"github.com/ratchetauth/ratchet/internal/adaptercheck"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// newFixture builds the HTTPSuite fixture engine on the memory store (adaptercheck's).
var newFixture = adaptercheck.NewFixture

// newApp is a Fiber app configured as tests want it: quiet, otherwise Fiber's defaults
// (mutable strings over reused buffers included).
func newApp() *fiber.App {
	return fiber.New(fiber.Config{DisableStartupMessage: true})
}

// serve runs app on a real listener on 127.0.0.1 (fibertest.Serve) until the test ends, and
// returns its URL.
func serve(t testing.TB, app *fiber.App) string {
	t.Helper()
	url, shutdown, err := fibertest.Serve(app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// fasthttp's Shutdown waits for every connection, including ones the client dialled
		// and never used (net/http dials spares); close the clients' side first (hc, and the
		// default transport adaptercheck's requests go through).
		hc.CloseIdleConnections()
		if tr, ok := http.DefaultTransport.(*http.Transport); ok {
			tr.CloseIdleConnections()
		}
		if err := shutdown(); err != nil {
			t.Error(err)
		}
	})
	return url
}

// send writes a fixture handler's answer, or its error through the adapter's WriteError.
func send(a *fiberratchet.Adapter, c *fiber.Ctx, status int, body []byte, err error) error {
	return fibertest.Reply(a, c, status, body, err)
}

// fixtureApp is the HTTPSuite server (fibertest.App): cors is the CORS middleware to use
// first (nil for the adapter's own).
func fixtureApp(f *adaptertest.Fixture, cors fiber.Handler) (*fiber.App, *fiberratchet.Adapter) {
	return fibertest.App(f, cors)
}

// nilCtx is the context of calls made outside any request.
func nilCtx() context.Context { return context.Background() }
