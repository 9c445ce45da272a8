// Package keystoretest is the conformance kit for signing-key stores: for whoever implements
// core.KeyStore so that several instances share one key ring (core.StoreKeyRing).
//
// Contract: call KeyRingSuite(t, newStore) from a test, where newStore returns a fresh, empty
// store implementing both core.Store and core.KeyStore for each subtest. KeyRingSuite checks
// the core.KeyStore interface directly ("KeyStore/…": conditional inserts and updates, copies,
// exactly one winner among concurrent writers) and then runs key rings and engines over the
// store with fake clocks ("Ring/…": rotation without logging anyone out, overlap, revocation
// across instances, KEK handling, JWKS). It never sleeps.
//
// Session-store authors want package storetest; adapter authors package adaptertest.
package keystoretest
