module github.com/ratchetauth/ratchet/tests/interop

go 1.24

require (
	github.com/MicahParks/keyfunc/v3 v3.7.0
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/ratchetauth/ratchet v0.1.0
	golang.org/x/time v0.9.0
)

require github.com/MicahParks/jwkset v0.11.0 // indirect

replace github.com/ratchetauth/ratchet => ../..
