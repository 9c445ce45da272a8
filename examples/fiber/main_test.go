package main

import (
	"testing"

	"github.com/ratchetauth/ratchet/examples/internal/demo/demotest"
)

func TestMain(m *testing.M) { demotest.Main(m, main) }

// TestExample checks this framework's app against the example contract (demotest.All):
// Contract, Process, Timeouts, Pool and Fleet, one subtest each.
func TestExample(t *testing.T) { demotest.All(t, server) }
