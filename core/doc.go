// Package core is ratchet's framework-agnostic session engine.
//
// An Engine issues a short-lived signed access token (a JWT, EdDSA by default) and a long-lived
// opaque refresh token that rotates on every refresh. Reusing a superseded refresh token is
// detected as theft and revokes the session; forged tokens never change anything. Only hashes
// of refresh tokens are stored. Verification is stateless unless VerifyOptions.CheckDatabase
// is set, and repeat tokens are answered from a bounded verified-token cache.
//
// The engine speaks the session part of the SuperTokens frontend protocol: the library routes
// (ServeAuth), the refresh and sign-out semantics, cookie and header transfer, front-token,
// and the 401 bodies the frontend SDK understands. Adapters (net/http, Gin, Echo, Fiber) only
// translate their framework's request and response into Request and Response; every status
// code and body comes from here, so all adapters behave identically.
//
// The rotation state machine and the properties R1–R7 it guarantees are specified in
// docs/ROTATION.md; the wire behaviour in docs/PROTOCOL.md.
package core
