package promratchet

import "testing"

// TimerMisses is how many timers m's pool has made so far.
func TimerMisses(m *Metrics) uint64 { return m.misses.Load() }

// AllocsPerTimer is what making one timer allocates.
func AllocsPerTimer(m *Metrics) uint64 {
	return uint64(testing.AllocsPerRun(100, func() { m.timers.Put(m.timers.New()) }))
}
