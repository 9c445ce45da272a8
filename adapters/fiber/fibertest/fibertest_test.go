package fibertest_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/adapters/fiber/fibertest"
	"github.com/ratchetauth/ratchet/stores/memory"
	"github.com/ratchetauth/ratchet/testkit/adaptertest"
)

// The fixture app has a production server's limits: read, write and idle timeouts and a body
// limit well under fasthttp's 4 MiB default.
func TestAppLimits(t *testing.T) {
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Engine.Close()
	cfg := fibertest.NewApp(f).Config()
	if cfg.ReadTimeout <= 0 || cfg.WriteTimeout <= 0 || cfg.IdleTimeout <= 0 {
		t.Errorf("timeouts: read %v, write %v, idle %v; want all set", cfg.ReadTimeout, cfg.WriteTimeout, cfg.IdleTimeout)
	}
	if cfg.BodyLimit <= 0 || cfg.BodyLimit > 1<<20 {
		t.Errorf("BodyLimit %d, want a bound of at most 1 MiB", cfg.BodyLimit)
	}
}

// POST /api/notes and /api/payload read the raw body through a bound: a compressed body is
// refused (never inflated) with 415, an oversized one with 413, and neither is stored.
func TestBodiesNotInflated(t *testing.T) {
	f, err := adaptertest.NewFixture(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Engine.Close()
	base, shutdown, err := fibertest.Serve(fibertest.NewApp(f))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer func() {
		hc.CloseIdleConnections()
		if err := shutdown(); err != nil {
			t.Error(err)
		}
	}()

	post := func(path, token string, body []byte, hdr ...string) (int, []byte, http.Header) {
		t.Helper()
		req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Add(hdr[i], hdr[i+1])
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b, res.Header
	}
	st, _, h := post("/auth/signin", "", []byte(`{"email":"`+adaptertest.AliceEmail+`","password":"`+adaptertest.DemoPassword+`"}`))
	token := h.Get("st-access-token")
	if st != 200 || token == "" {
		t.Fatalf("sign-in: status %d", st)
	}

	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		_, _ = w.Write(b)
		_ = w.Close()
		return buf.Bytes()
	}
	note := []byte(`{"text":"zipped"}`)
	for _, c := range []struct {
		name, path, encoding string
		body                 []byte
		want                 int
	}{
		{"gzip note", "/api/notes", "gzip", gz(note), 415},
		{"gzip, gzip note", "/api/notes", "gzip, gzip", gz(gz(note)), 415},
		{"deflate note", "/api/notes", "deflate", note, 415},
		{"br payload", "/api/payload", "br", []byte(`{"theme":"dark"}`), 415},
		{"gzip payload", "/api/payload", "gzip", gz([]byte(`{"theme":"dark"}`)), 415},
		{"oversized note", "/api/notes", "", []byte(`{"text":"` + strings.Repeat("x", fibertest.MaxBody) + `"}`), 413},
	} {
		var hdr []string
		if c.encoding != "" {
			hdr = []string{"Content-Encoding", c.encoding}
		}
		st, body, _ := post(c.path, token, c.body, hdr...)
		var m map[string]any
		if st != c.want || json.Unmarshal(body, &m) != nil || m["message"] == nil {
			t.Errorf("%s: status %d body %q, want %d with a {\"message\"} body", c.name, st, body, c.want)
		}
	}
	if st, body, _ := post("/api/notes", token, []byte(`{"text":"plain"}`), "Content-Encoding", "identity"); st != 200 {
		t.Fatalf("identity note: status %d %s", st, body)
	}
	req, _ := http.NewRequest("GET", base+"/api/notes", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct{ Notes []string }
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || len(got.Notes) != 1 || got.Notes[0] != "plain" {
		t.Fatalf("notes after the refused bodies: %v %v, want only [plain]", got.Notes, err)
	}
}
