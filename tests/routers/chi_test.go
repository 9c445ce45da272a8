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
	r.Get("/api/me", x.me.ServeHTTP)
	r.Get("/api/me/strict", x.strict.ServeHTTP)
	r.Get("/api/optional", x.optional.ServeHTTP)
	r.Get("/api/admin", x.admin.ServeHTTP)
	r.Get("/api/notes", x.notes.ServeHTTP)
	r.Post("/api/notes", x.addNote.ServeHTTP)
	r.Post("/api/payload", x.payload.ServeHTTP)
}
