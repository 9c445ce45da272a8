// Package bench compares the per-request cost of the Echo adapter's session middleware with a
// bare Echo handler and with github.com/labstack/echo-jwt/v4 verifying the same EdDSA access
// token. It is a separate module so that echo-jwt and golang-jwt never enter the adapter's
// go.mod. Run it with:
//
//	go test -run '^$' -bench . -benchmem
package bench
