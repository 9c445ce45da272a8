// Package httpratchet is the net/http adapter of ratchet. It works with http.ServeMux, chi,
// gorilla/mux and anything else built on http.Handler.
//
//	a := httpratchet.New(engine)
//	mux := http.NewServeMux()
//	a.Mount(mux)                                       // signin, refresh, signout, sessions, JWKS under /auth/
//	mux.Handle("/api/me", a.Require(meHandler))        // 401 unless signed in
//	http.ListenAndServe(addr, a.CORS(mux))
//
// Handlers read the session with httpratchet.Session(r.Context()).
package httpratchet
