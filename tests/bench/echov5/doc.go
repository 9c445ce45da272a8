// Package bench compares the per-request cost of the Echo v5 adapter's session middleware
// with a bare Echo v5 handler and with a JWT check of the same EdDSA access token. Echo's own
// JWT middleware, github.com/labstack/echo-jwt, has no v5 release on the module proxy (its
// newest major is /v4, which needs Echo v4), so the JWT row is a minimal Echo v5 middleware
// around github.com/golang-jwt/jwt/v5, the library echo-jwt v4 wraps: the same parse and
// EdDSA verification, without echo-jwt's extractor and error-handler layers. It is a separate
// module so that golang-jwt's direct use never enters the adapter's go.mod. Run it with:
//
//	go test -run '^$' -bench . -benchmem
package bench
