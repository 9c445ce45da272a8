module github.com/ratchetauth/ratchet/tests/bench/echov5

go 1.25.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/labstack/echo/v5 v5.4.6
	github.com/ratchetauth/ratchet v0.1.0
	github.com/ratchetauth/ratchet/adapters/echov5 v0.1.0
)

replace (
	github.com/ratchetauth/ratchet => ../../..
	github.com/ratchetauth/ratchet/adapters/echov5 => ../../../adapters/echov5
)
