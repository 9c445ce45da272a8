package main

import (
	"testing"

	"github.com/ratchetauth/ratchet/examples/internal/demo/demotest"
)

func TestMain(m *testing.M) { demotest.Main(m, main) }

// TestContract checks the example contract over real HTTP on this framework's routes.
func TestContract(t *testing.T) { demotest.Contract(t, server) }

// TestProcess runs the real main: fail-fast messages, banner, SQLite default, SIGTERM.
func TestProcess(t *testing.T) { demotest.Process(t) }
