// Package interop proves that third-party verifiers accept ratchet's access tokens through its
// JWKS, across key rotations, for EdDSA, ES256 and RS256: github.com/MicahParks/keyfunc (Go)
// in keyfunc_test.go, and the jose npm package (Node, createRemoteJWKSet + jwtVerify) in
// jose_test.go, which runs jose/verify.mjs against a key server on loopback.
//
// It is a module of its own so that the verifiers' dependencies stay out of ratchet's go.mod.
// `make interop` installs jose's npm packages and runs the tests; `make test` runs them too.
package interop
