// Package storetest is the conformance kit for session stores: for whoever implements
// core.Store (the memory and GORM stores of this repository, or a third-party one).
//
// Contract: call StoreSuite(t, newStore) from a test, where newStore returns a fresh, empty
// store for each subtest and registers its own cleanup. StoreSuite checks the core.Store
// interface directly ("Store/…"), the rotation properties R1–R7 of docs/ROTATION.md with a
// core.Engine over the store ("Engine/…") and, when the store implements it,
// core.RevocationFeed ("RevocationFeed/…"). The store's obligations beyond the core.Store doc
// comments (time precision, JSON round-trips, version bumps, liveness judged only against the
// times passed in) are listed on StoreSuite. Optional interfaces the suite requires
// (core.AllRevoker, core.RevocationFeed) fail in CI (CI=true) and skip loudly elsewhere.
//
// Key-store authors want package keystoretest; adapter authors package adaptertest.
package storetest
