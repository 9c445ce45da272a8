// Package sessiontest holds ratchet's exported conformance kits. StoreSuite runs every state
// transition and the rotation properties R1–R7 of docs/ROTATION.md against any core.Store;
// HTTPSuite drives the whole wire protocol over real HTTP against any adapter. Every store and
// adapter in this repository runs them unchanged, and third-party ones should too.
package sessiontest
