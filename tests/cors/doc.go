// Package cors runs the gin adapter behind github.com/gin-contrib/cors, the framework's
// own CORS middleware. It is a separate, test-only module so that gin-contrib/cors never
// enters the adapter's go.mod.
package cors
