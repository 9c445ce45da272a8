package echoratchet_test

import (
	"github.com/labstack/echo/v4"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"

	"github.com/ratchetauth/ratchet/adapters/echo/echotest"
)

// fixtureApp is echotest.Server: the fixture contract served with Echo, cors first (nil: the
// adapter's own CORS middleware).
func fixtureApp(f *adaptertest.Fixture, cors echo.MiddlewareFunc) *echo.Echo {
	return echotest.Server(f, cors)
}
