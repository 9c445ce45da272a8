// Command nethttp is the ratchet demo on net/http's ServeMux: go run ./examples/nethttp.
//
// Everything but the routing lives in examples/internal/demo; see the example contract for
// the environment variables and routes.
package main

import (
	"net/http"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/examples/internal/demo"
)

func main() {
	demo.Main("net/http", server)
}

// server builds the net/http app around the ready engine.
func server(app *demo.App) demo.Server {
	a := httpratchet.New(app.Engine)
	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler()) // signin, session/refresh, signout, sessions, jwt/jwks.json

	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, demo.ContentTypeHTML, demo.Page)
	})
	me := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, demo.ContentTypeJSON, demo.Me(httpratchet.MustSession(r.Context())))
	})
	mux.Handle("GET /api/me", a.Require(me))
	mux.Handle("GET /api/me/strict", a.RequireStoreCheck(me))
	mux.Handle("GET /api/notes", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := demo.Notes(r.Context(), httpratchet.MustSession(r.Context()))
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		write(w, http.StatusOK, demo.ContentTypeJSON, body)
	})))
	mux.Handle("POST /api/notes", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := httpratchet.MustSession(r.Context())
		status, body, err := demo.AddNote(r.Context(), s, r.Header.Values("Content-Encoding"), r.Body)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		write(w, status, demo.ContentTypeJSON, body)
	})))

	if app.Metrics != nil { // METRICS=1
		mux.Handle("GET /metrics", app.Metrics)
	}

	return app.HTTPServer(a.CORS(mux)) // CORS outermost, so preflights are answered first
}

func write(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
