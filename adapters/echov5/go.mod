module github.com/ratchetauth/ratchet/adapters/echov5

go 1.25.0

require (
	github.com/labstack/echo/v5 v5.0.0
	github.com/ratchetauth/ratchet v0.1.0
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	golang.org/x/time v0.14.0 // indirect
)

replace github.com/ratchetauth/ratchet => ../..
