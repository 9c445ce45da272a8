// Package testenv decides what a test does when its environment lacks something: InCI reports
// whether the tests run in CI (CI=true), and NeedService fails there, or skips loudly
// elsewhere, when an external service (a database, a browser) or an optional interface is
// missing. It is internal to ratchet's own test kits and tests, in every module of the
// workspace.
package testenv
