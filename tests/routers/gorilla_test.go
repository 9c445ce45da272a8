package routers

import (
	"net/http"
	"testing"

	"github.com/gorilla/mux"
)

func (x *app) gorillaRoutes(r *mux.Router) {
	r.Handle("/api/me", x.me).Methods(http.MethodGet)
	r.Handle("/api/me/strict", x.strict).Methods(http.MethodGet)
	r.Handle("/api/optional", x.optional).Methods(http.MethodGet)
	r.Handle("/api/admin", x.admin).Methods(http.MethodGet)
	r.Handle("/api/notes", x.notes).Methods(http.MethodGet)
	r.Handle("/api/notes", x.addNote).Methods(http.MethodPost)
	r.Handle("/api/payload", x.payload).Methods(http.MethodPost)
}

// TestGorillaPathPrefix mounts the library routes with PathPrefix. UseEncodedPath keeps
// gorilla/mux from "cleaning" an escaped session handle such as ..%2F..%2Fetc%2Fpasswd into a
// redirect to another path: the sessions route must see, and refuse, the handle itself.
func TestGorillaPathPrefix(t *testing.T) {
	x := newApp(t)
	r := mux.NewRouter().UseEncodedPath()
	r.PathPrefix("/auth/").Handler(x.a.Handler())
	x.gorillaRoutes(r)
	x.run(t, r)
}

// TestGorillaRoutesMiddleware serves the library routes with the adapter's Routes middleware
// around the router (gorilla middleware only runs for matched routes, so it wraps the router).
func TestGorillaRoutesMiddleware(t *testing.T) {
	x := newApp(t)
	r := mux.NewRouter().UseEncodedPath()
	x.gorillaRoutes(r)
	x.run(t, x.a.Routes(r))
}
