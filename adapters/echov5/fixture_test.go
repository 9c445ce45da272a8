package echoratchet_test

import (
	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"

	"github.com/ratchetauth/ratchet/adapters/echov5/echov5test"
)

// fixtureApp is echov5test.Server: the fixture contract served with Echo v5, cors first (nil:
// the adapter's own CORS middleware).
func fixtureApp(f *adaptertest.Fixture, cors echo.MiddlewareFunc) *echo.Echo {
	return echov5test.Server(f, cors)
}
