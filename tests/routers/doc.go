// Package routers runs adaptertest.HTTPSuite against the net/http adapter mounted in chi and
// gorilla/mux. It is a separate module so those routers never enter the root go.mod, which
// stays standard library plus golang-jwt.
package routers
