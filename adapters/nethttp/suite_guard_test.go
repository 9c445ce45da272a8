package httpratchet_test

import (
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/adapters/nethttp/nethttptest"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// brokenEnv names the defect TestBrokenServerHelper injects.
const brokenEnv = "RATCHET_HTTPSUITE_BROKEN"

// defects rewrite a response's headers just before they are sent, each breaking one rule of
// the protocol in a way an adapter bug could.
var defects = map[string]func(h http.Header){
	// An adapter that loses headers set with an empty value, or drops the clear signal.
	"no-front-token-remove": func(h http.Header) {
		if h.Get("front-token") == "remove" {
			h.Del("front-token")
		}
	},
	// A framework CORS middleware configured with a wildcard.
	"cors-wildcard": func(h http.Header) {
		if h.Get("Access-Control-Allow-Origin") != "" {
			h.Set("Access-Control-Allow-Origin", "*")
		}
	},
	// An adapter that keeps only the last Set-Cookie value.
	"one-set-cookie": func(h http.Header) {
		if v := h.Values("Set-Cookie"); len(v) > 1 {
			h["Set-Cookie"] = v[len(v)-1:]
		}
	},
	// A proxy or framework that rewrites Cache-Control.
	"cacheable-tokens": func(h http.Header) {
		if h.Get("Cache-Control") != "" {
			h.Set("Cache-Control", "private, max-age=60")
		}
	},
}

// mangle applies fix to the headers of every response of next.
func mangle(next http.Handler, fix func(http.Header)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&mangler{ResponseWriter: w, fix: fix}, r)
	})
}

type mangler struct {
	http.ResponseWriter
	fix  func(http.Header)
	done bool
}

func (m *mangler) WriteHeader(code int) {
	if !m.done {
		m.done = true
		m.fix(m.Header())
	}
	m.ResponseWriter.WriteHeader(code)
}

func (m *mangler) Write(b []byte) (int, error) {
	if !m.done {
		m.WriteHeader(http.StatusOK)
	}
	return m.ResponseWriter.Write(b)
}

// TestBrokenServerHelper runs HTTPSuite against a server with one injected defect. It does
// nothing unless TestHTTPSuiteDetectsBrokenServers starts it in a child process.
func TestBrokenServerHelper(t *testing.T) {
	fix := defects[os.Getenv(brokenEnv)]
	if fix == nil {
		return
	}
	f, _ := newFixture(t)
	srv := serve(t, mangle(nethttptest.NewServer(f), fix))
	adaptertest.HTTPSuite(t, f.Target(srv.URL))
}

// TestHTTPSuiteDetectsBrokenServers guards the suite itself: each defect above must make it
// fail. A suite that passes a broken server would let a broken adapter ship.
func TestHTTPSuiteDetectsBrokenServers(t *testing.T) {
	if os.Getenv(brokenEnv) != "" {
		return // we are the child
	}
	for name := range defects {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenServerHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("HTTPSuite passed against a server with the defect %q", name)
			}
			if !strings.Contains(string(out), "--- FAIL: TestBrokenServerHelper/") {
				t.Fatalf("the child failed, but not inside HTTPSuite:\n%s", out)
			}
		})
	}
}
