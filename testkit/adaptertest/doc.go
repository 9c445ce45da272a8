// Package adaptertest is the conformance kit for HTTP adapters: for whoever mounts ratchet's
// engine in a web framework (the net/http, Gin, Echo and Fiber adapters of this repository, or
// a third-party one).
//
// Contract: build a Fixture with NewFixture over any core.Store, mount its engine's library
// routes under /auth and the app routes listed on Fixture in the framework, with CORS enabled
// for WebsiteOrigin, start a real HTTP server, and call HTTPSuite(t, f.Target(url)). HTTPSuite
// is black-box: it drives the whole wire protocol (sign-in, verification, refresh and rotation,
// sign-out, session data, payload, sessions routes, JWKS, CORS, hardening and attacks) with
// net/http clients only, moving time with the fixture's fake clock. An adapter that passes it
// speaks the protocol of docs/PROTOCOL.md exactly as every adapter here does.
//
// The demo accounts (AliceEmail, BobEmail, CarolEmail with DemoPassword; DemoAuthenticate)
// and the Fixture* settings are exported so that fixture servers and example apps agree with
// the suite. Store authors want package storetest; key-store authors package keystoretest.
package adaptertest
