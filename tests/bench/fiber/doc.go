// Package bench puts one request through Fiber side by side, in one run (BenchmarkFiber): the
// bare router, fiberratchet's Require on a warm token and with the verify cache off, and
// github.com/gofiber/contrib/jwt verifying HS256 and EdDSA tokens with the same claims. Every
// row serves the same GET /api/me with the same handler body, in process through Fiber's
// fasthttp handler (no network). TestAllocationCeilings (left out of -race builds; run by
// `make test-alloc`) pins the warm row's allocations per request. It is a separate module so
// that the adapter's go.mod does not carry the peer.
//
//	go test -run '^$' -bench . -benchmem
package bench
