package testkit

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// CreateSessionUser is the user the adapters' CreateSession tests sign in.
const CreateSessionUser = "alice"

// NewMemoryEngine returns an engine over a fresh memory store, closed when the test ends.
func NewMemoryEngine(t testing.TB) *core.Engine {
	t.Helper()
	e, err := core.New(core.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// CheckCreateSessionSetsContext posts to url, an app route that calls the adapter's
// CreateSession for CreateSessionUser and answers 200 with the user id that the adapter's
// Session accessor then returns from the framework's context (or 500 when it returns none).
// Every adapter promises that the new session is on the context at once.
func CheckCreateSessionSetsContext(t *testing.T, url string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(core.HeaderRID, "session")
	req.Header.Set(core.HeaderAuthMode, "header")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != CreateSessionUser {
		t.Errorf("handler calling CreateSession then Session: %d %q, want 200 %q (the session on the context)", resp.StatusCode, body, CreateSessionUser)
	}
	if resp.Header.Get(core.HeaderAccessToken) == "" {
		t.Error("CreateSession wrote no access token")
	}
}
