//go:build race

package promratchet_test

const raceEnabled = true
