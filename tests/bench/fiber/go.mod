module github.com/ratchetauth/ratchet/tests/bench/fiber

go 1.24

require (
	github.com/gofiber/contrib/jwt v1.1.2
	github.com/gofiber/fiber/v2 v2.52.6
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/ratchetauth/ratchet v0.1.0
	github.com/ratchetauth/ratchet/adapters/fiber v0.1.0
	github.com/valyala/fasthttp v1.51.0
)

require (
	github.com/MicahParks/keyfunc/v2 v2.1.0 // indirect
	github.com/andybalholm/brotli v1.1.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.17.9 // indirect
	github.com/mattn/go-colorable v0.1.13 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mattn/go-runewidth v0.0.16 // indirect
	github.com/rivo/uniseg v0.2.0 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/tcplisten v1.0.0 // indirect
	golang.org/x/sys v0.28.0 // indirect
)

replace (
	github.com/ratchetauth/ratchet => ../../..
	github.com/ratchetauth/ratchet/adapters/fiber => ../../../adapters/fiber
)
