// Package bench puts one request through Echo v5 side by side, in one run (BenchmarkEchoV5):
// the bare router, echoratchet's Require on a warm token and with the verify cache off, and a
// JWT middleware verifying HS256 and EdDSA tokens with the same claims. Echo's own JWT
// middleware, github.com/labstack/echo-jwt, has no release for Echo v5 on the module proxy (its
// newest major is /v4, which needs Echo v4), so the JWT rows (golangjwt_mw_*) are a minimal
// Echo v5 middleware written here around github.com/golang-jwt/jwt/v5, the library echo-jwt v4
// wraps: the same parse and verification, without echo-jwt's extractor and error-handler
// layers. Every row serves the same GET /api/me with the same handler body.
// TestAllocationCeilings (left out of -race builds; run by `make test-alloc`) pins the warm
// row's allocations per request. It is a separate module so that golang-jwt's direct use never
// enters the adapter's go.mod.
//
//	go test -run '^$' -bench . -benchmem
package bench
