package routers

import (
	"testing"

	"github.com/gorilla/mux"
)

func (x *app) gorillaRoutes(r *mux.Router) {
	for _, rt := range x.appRoutes() {
		r.Handle(rt.Path, rt.Handler).Methods(rt.Method)
	}
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
