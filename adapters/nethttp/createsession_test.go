package httpratchet_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

func TestCreateSessionSetsContext(t *testing.T) {
	a := httpratchet.New(testkit.NewMemoryEngine(t))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := a.CreateSession(w, r, testkit.CreateSessionUser, core.CreateOptions{}); err != nil {
			a.WriteError(w, r, err)
			return
		}
		if s, ok := httpratchet.Session(r.Context()); ok {
			_, _ = w.Write([]byte(s.UserID()))
			return
		}
		w.WriteHeader(500)
	}))
	defer srv.Close()
	testkit.CheckCreateSessionSetsContext(t, srv.URL)
}
