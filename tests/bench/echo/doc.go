// Package bench puts one request through Echo v4 side by side, in one run (BenchmarkEcho): the
// bare router, echoratchet's Require on a warm token and with the verify cache off, and
// github.com/labstack/echo-jwt/v4 verifying HS256 and EdDSA tokens with the same claims. Every
// row serves the same GET /api/me with the same handler body. TestAllocationCeilings (left out
// of -race builds; run by `make test-alloc`) pins the warm row's allocations per request. It
// is a separate module so that echo-jwt and golang-jwt never enter the adapter's go.mod.
//
//	go test -run '^$' -bench . -benchmem
package bench
