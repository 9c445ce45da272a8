// Package bench puts one request through net/http side by side, in one run (BenchmarkNetHTTP):
// the bare ServeMux, httpratchet's Require on a warm token and with the verify cache off, a
// plain golang-jwt middleware (net/http has no usual one) verifying HS256 and EdDSA tokens with
// the same claims, and github.com/alexedwards/scs's LoadAndSave over its memory store and its
// PostgreSQL store (pgxstore), with the user id in the session. Every row serves the same
// GET /api/me with the same handler body. The scs_postgres row runs in a schema of its own on
// the PostgreSQL test server (tests/testdb), dropped afterwards. TestAllocationCeilings (left
// out of -race builds; run by `make test-alloc`) pins the warm row's allocations per request.
// It is a separate module so that scs and its store never enter the root module's go.mod.
//
//	go test -run '^$' -bench . -benchmem
package bench
