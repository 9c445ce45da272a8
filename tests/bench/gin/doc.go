// Package bench measures the gin adapter's per-request overhead next to gin's bare handler
// and next to github.com/appleboy/gin-jwt verifying the same EdDSA access token, in one run:
//
//	go test -run '^$' -bench . -benchmem
//
// It is a separate module so that gin-jwt never enters the adapter's go.mod.
package bench
