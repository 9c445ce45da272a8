package storetest

import (
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

// StoreSuite is the conformance suite every core.Store must pass. It runs two groups of
// subtests, one after the other (never in parallel):
//
//   - "Store/…" exercises the core.Store contract directly: Create/Get round-trips, conditional
//     Update with every Cond and Change field, revocation, listing and bulk revocation by user,
//     core.ExpiredDeleter (when the store implements it), cancelled contexts, and the atomicity
//     of conditional writes under 64 concurrent writers (R5).
//   - "Engine/…" runs a core.Engine over the store with a fake clock and checks the rotation
//     properties R1–R7 of docs/ROTATION.md, idle, absolute and access-token expiry, and the
//     session data and payload API. Some subtests wrap the store in small decorators (to
//     count calls, or to pause one Update at a chosen point), so the engine sees the store
//     only through the core.Store interface.
//     Stores with core.Rotator play the rotation properties twice: as they are, and with the
//     capability hidden ("Engine/TwoStatement/…").
//   - "Rotator/…" checks core.Rotator when the store implements it: the row after a
//     rotation, each condition alone, the history bound and atomicity.
//   - "AuditLog/…" checks core.AuditLog when the store implements it (the capability is
//     optional; without it the group logs so and passes): appending and listing newest
//     first, every filter, the limit bounds, keyset paging under concurrent appends,
//     DeleteEventsBefore, copies, and an engine writing its events through the store.
//
// (A "RevocationFeed" group checks core.RevocationFeed across two engines.)
//
// newStore is called once per subtest and must return a fresh, empty store that no other
// subtest uses (DeleteExpired counts rows); it should register its own cleanup with
// t.Cleanup. The suite only ever uses the store from the subtest that created it.
//
// Requirements on the store beyond the core.Store doc comments:
//   - Times: every time.Time field must round-trip to at least millisecond precision. The suite
//     only ever writes times with whole milliseconds (some in a non-UTC zone) and compares them
//     with Equal after .UTC().Truncate(time.Millisecond), so a SQL store may truncate to
//     milliseconds or microseconds and may return times in any location.
//   - Data and Payload must round-trip as the same JSON value; a store may re-encode the JSON
//     (as a PostgreSQL jsonb column does), but must not change its meaning. Secret must
//     round-trip byte for byte.
//   - A write that sets Data, Payload or both bumps Version by exactly 1.
//   - Liveness is judged only against the time passed in (Cond.LiveAt, ListByUser's now,
//     DeleteExpired's before), never against the database's own clock: the suite's sessions
//     live in 2030. RevokeByUser revokes every unrevoked row of the user, expired ones
//     included, as its doc comment says.
//   - Records returned by Get and ListByUser are the caller's: mutating them, or the record
//     passed to Create, never changes what the store holds.
//
// The concurrency subtests start 64 goroutines at once against one store; a SQL store's
// connection pool must tolerate that (it may queue). They run a bounded number of rounds, so
// the whole suite takes a few seconds on a real database.
func StoreSuite(t *testing.T, newStore func(t *testing.T) core.Store) {
	t.Helper()
	t.Run("Store", func(t *testing.T) { storeContract(t, newStore) })
	t.Run("Engine", func(t *testing.T) { engineProperties(t, newStore) })
	t.Run("RevocationFeed", func(t *testing.T) { testRevocationFeed(t, newStore) })
	t.Run("AuditLog", func(t *testing.T) { auditContract(t, newStore) })
	t.Run("LiveCounter", func(t *testing.T) { liveCounterContract(t, newStore) })
	t.Run("Rotator", func(t *testing.T) { rotatorContract(t, newStore) })
}

// storeContract runs the subtests that talk to the core.Store interface directly.
func storeContract(t *testing.T, newStore func(t *testing.T) core.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s core.Store)
	}{
		{"CreateGetRoundTrip", testCreateGetRoundTrip},
		{"CreateGetRoundTripNonUTC", testCreateGetRoundTripNonUTC},
		{"CreateDuplicateHandle", testCreateDuplicate},
		{"GetMissing", testGetMissing},
		{"ReturnedRecordsAreCopies", testRecordsAreCopies},
		{"UpdateMissingHandle", testUpdateMissing},
		{"UpdateCond", testUpdateCond},
		{"UpdateChange", testUpdateChange},
		{"UpdateVersionBump", testUpdateVersionBump},
		{"RevokeIsTerminal", testRevokeTerminal},
		{"ListByUser", testListByUser},
		{"RevokeByUser", testRevokeByUser},
		{"RevokeByUserExcept", testRevokeByUserExcept},
		{"DeleteExpired", testDeleteExpired},
		{"RevokeAll", testRevokeAll},
		{"CancelledContext", testCancelledContext},
		{"R5_AtomicCurrentHash", testAtomicCurrentHash},
		{"R5_AtomicVersion", testAtomicVersion},
		{"R5_AtomicRevoke", testAtomicRevoke},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

// engineProperties runs the subtests that drive a core.Engine over the store.
func engineProperties(t *testing.T, newStore func(t *testing.T) core.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s core.Store)
	}{
		{"IssueRecord", testIssueRecord},
		{"R1_LostResponseRetry", testR1LostResponse},
		{"R1_RetryAfterGraceIsTheft", testR1AfterGrace},
		{"R2_ConcurrentRefresh", testR2Concurrent},
		{"R3_TheftOfAncestor", func(t *testing.T, s core.Store) { testR3Theft(t, s, false) }},
		{"R3_TheftOfPreviousAfterGrace", func(t *testing.T, s core.Store) { testR3Theft(t, s, true) }},
		{"R4_Forgeries", testR4Forgeries},
		{"R8_DelayedAncestorsHonoured", testDelayedAncestorsHonoured},
		{"R8_AncestorPastItsWindowIsTheft", testAncestorPastItsWindowIsTheft},
		{"R8_ArrivalTimeDecides", testArrivalTimeDecides},
		{"R8_HistoryBound", testHistoryBound},
		{"R5_StaleRefreshCannotRollBack", testStaleRefreshCannotRollBack},
		{"R5_StaleDataWriteRetries", testStaleDataWriteRetries},
		{"R6_WriteAfterRevokeFails", testWriteAfterRevokeFails},
		{"R6_NoResurrection", testR6NoResurrection},
		{"R7_StatelessVerify", testR7Stateless},
		{"CheckDatabaseLineage", testCheckDatabaseLineage},
		{"IdleExpiry", testIdleExpiry},
		{"IdleExpiryKeptAlive", testIdleKeptAlive},
		{"AbsoluteLifetime", testAbsoluteLifetime},
		{"AccessTokenExpiry", testAccessExpiry},
		{"RevocationAPI", testRevocationAPI},
		{"SessionDataAndPayload", testDataAndPayload},
		{"ConcurrentDataAppends", testConcurrentAppends},
		{"RevokedSessionData", testRevokedSessionData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
	// A store with core.Rotator rotates in one statement whenever the engine knows the
	// session. The rotation properties are played again with the capability hidden, so the
	// two-statement path (another instance's first refresh, a store without Rotator) keeps
	// them too.
	if _, ok := newStore(t).(core.Rotator); !ok {
		return
	}
	twoStatement := map[string]bool{"R1_LostResponseRetry": true, "R1_RetryAfterGraceIsTheft": true,
		"R2_ConcurrentRefresh": true, "R3_TheftOfAncestor": true, "R3_TheftOfPreviousAfterGrace": true,
		"R4_Forgeries": true, "R8_DelayedAncestorsHonoured": true, "R8_AncestorPastItsWindowIsTheft": true,
		"R8_HistoryBound": true, "R5_StaleRefreshCannotRollBack": true, "R6_WriteAfterRevokeFails": true,
		"R6_NoResurrection": true, "CheckDatabaseLineage": true, "IdleExpiryKeptAlive": true, "AbsoluteLifetime": true}
	for _, tc := range tests {
		if twoStatement[tc.name] {
			t.Run("TwoStatement/"+tc.name, func(t *testing.T) { tc.fn(t, withoutRotator{newStore(t)}) })
		}
	}
}

// withoutRotator shows the engine only the core.Store methods of a store.
type withoutRotator struct{ core.Store }
