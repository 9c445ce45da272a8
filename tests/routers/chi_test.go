package routers

import (
	"testing"

	"github.com/go-chi/chi/v5"
)

// TestChiMount mounts the library routes with chi's Mount.
func TestChiMount(t *testing.T) {
	x := newApp(t)
	r := chi.NewRouter()
	r.Mount("/auth", x.a.Handler())
	x.routes(r)
	x.run(t, r)
}

// TestChiRoutesMiddleware serves the library routes with the adapter's Routes middleware.
func TestChiRoutesMiddleware(t *testing.T) {
	x := newApp(t)
	r := chi.NewRouter()
	r.Use(x.a.Routes)
	x.routes(r)
	x.run(t, r)
}

func (x *app) routes(r chi.Router) {
	for _, rt := range x.appRoutes() {
		r.Method(rt.Method, rt.Path, rt.Handler)
	}
}
