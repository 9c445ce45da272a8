module github.com/ratchetauth/ratchet/adapters/fiber

go 1.24

require (
	github.com/gofiber/fiber/v2 v2.26.0
	github.com/ratchetauth/ratchet v0.1.0
	github.com/valyala/fasthttp v1.32.0
)

require (
	github.com/andybalholm/brotli v1.0.2 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/klauspost/compress v1.13.4 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/tcplisten v1.0.0 // indirect
	golang.org/x/sys v0.0.0-20210514084401-e8d321eab015 // indirect
)

replace github.com/ratchetauth/ratchet => ../..
