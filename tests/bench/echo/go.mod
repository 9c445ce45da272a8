module github.com/ratchetauth/ratchet/tests/bench/echo

go 1.24.0

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/labstack/echo-jwt/v4 v4.4.0
	github.com/labstack/echo/v4 v4.13.4
	github.com/ratchetauth/ratchet v0.1.0
	github.com/ratchetauth/ratchet/adapters/echo v0.1.0
)

require (
	github.com/labstack/gommon v0.4.2 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v1.2.2 // indirect
	golang.org/x/crypto v0.45.0 // indirect
	golang.org/x/net v0.47.0 // indirect
	golang.org/x/sys v0.38.0 // indirect
	golang.org/x/text v0.31.0 // indirect
	golang.org/x/time v0.14.0 // indirect
)

replace (
	github.com/ratchetauth/ratchet => ../../..
	github.com/ratchetauth/ratchet/adapters/echo => ../../../adapters/echo
)
