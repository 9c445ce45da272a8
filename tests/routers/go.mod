module github.com/ratchetauth/ratchet/tests/routers

go 1.24

require (
	github.com/go-chi/chi/v5 v5.5.0
	github.com/gorilla/mux v1.8.1
	github.com/ratchetauth/ratchet v0.1.0
)

require github.com/golang-jwt/jwt/v5 v5.3.1 // indirect

replace github.com/ratchetauth/ratchet => ../..
