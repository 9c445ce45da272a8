// Package bench compares the per-request cost of fiberratchet's Require with Fiber's bare
// handler and with github.com/gofiber/contrib/jwt verifying the same EdDSA access token, in
// one run. It is a separate module so that the adapter's go.mod does not carry the peer.
//
//	go test -run '^$' -bench . -benchmem
package bench
