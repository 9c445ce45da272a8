// Package httpratchet is the net/http adapter of ratchet. It works with http.ServeMux, chi,
// gorilla/mux and anything else built on http.Handler.
//
//	a := httpratchet.New(engine)
//	mux := http.NewServeMux()
//	mux.Handle("/auth/", a.Handler())                 // signin, refresh, signout, sessions, JWKS
//	mux.Handle("/api/me", a.Require(meHandler))        // 401 unless signed in
//	http.ListenAndServe(addr, a.CORS(mux))
//
// Handlers read the session with httpratchet.Session(r.Context()).
package httpratchet
