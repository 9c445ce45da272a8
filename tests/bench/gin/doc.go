// Package bench puts one request through gin side by side, in one run (BenchmarkGin): the bare
// router, ginratchet's Require on a warm token and with the verify cache off, and
// github.com/appleboy/gin-jwt verifying HS256, RS256 and (through its KeyFunc hook) EdDSA
// tokens with the same claims. Every row serves the same GET /api/me with the same handler
// body. TestAllocationCeilings (left out of -race builds; run by `make test-alloc`) pins the
// warm row's allocations per request. It is a separate module so that gin-jwt never enters the
// adapter's go.mod.
//
//	go test -run '^$' -bench . -benchmem
package bench
