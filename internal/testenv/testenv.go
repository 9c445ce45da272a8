package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true), where nothing may skip.
func InCI() bool { return os.Getenv("CI") == "true" }

// NeedService handles a missing external dependency (a database, a browser): in CI it fails
// the test, elsewhere it skips with a loud message. err describes why the service is missing.
func NeedService(t testing.TB, name string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%s is required in CI (CI=true) but unavailable: %v", name, err)
	}
	t.Skipf("\n\n*** SKIPPING: %s unavailable: %v ***\n*** (this would FAIL with CI=true) ***\n", name, err)
}
