//go:build !unix

package gormtest

import "time"

// processCPU reports false: getrusage is unix-only.
func processCPU() (time.Duration, bool) { return 0, false }
