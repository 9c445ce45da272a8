module github.com/ratchetauth/ratchet/adapters/echo

go 1.24

require (
	github.com/labstack/echo/v4 v4.0.0
	github.com/ratchetauth/ratchet v0.1.0
)

require (
	github.com/dgrijalva/jwt-go v3.2.0+incompatible // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/labstack/gommon v0.2.8 // indirect
	github.com/mattn/go-colorable v0.0.9 // indirect
	github.com/mattn/go-isatty v0.0.4 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v0.0.0-20170224212429-dcecefd839c4 // indirect
	golang.org/x/crypto v0.0.0-20190130090550-b01c7a725664 // indirect
	golang.org/x/sys v0.0.0-20190129075346-302c3dd5f1cc // indirect
)

replace github.com/ratchetauth/ratchet => ../..
