package core_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/httpio"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// adminServer serves an engine with the admin API over real HTTP, with a managed key ring
// (the HTTPSuite's fixture has a static one). Users: "root" is an admin, anyone else is not.
type adminServer struct {
	e      *core.Engine
	clock  *core.FakeClock
	url    string
	mu     sync.Mutex
	events []core.SecurityEvent
}

func newAdminServer(t *testing.T, admin core.AdminConfig) *adminServer {
	t.Helper()
	ctx := context.Background()
	store := memory.New()
	as := &adminServer{clock: core.NewFakeClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))}
	kek, _ := core.NewKEK()
	ring, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek, Clock: as.clock, Logger: discardLogger(), ReloadInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ring.Close() })
	if admin.Allow == nil {
		admin.Allow = func(_ context.Context, s *core.Session) bool { return s.UserID() == "root" }
	}
	as.e, err = core.New(core.Config{Store: store, Keys: ring, Clock: as.clock, Logger: discardLogger(), RevocationPollInterval: -1,
		Admin: &admin,
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			return &core.Identity{UserID: r.Email}, nil
		},
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			as.mu.Lock()
			as.events = append(as.events, ev)
			as.mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = as.e.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		as.e.ServeBase(r.Context(), httpio.Request(r), httpio.Response(w))
	}))
	t.Cleanup(srv.Close)
	as.url = srv.URL
	return as
}

// signIn returns a header-mode access token for user.
func (as *adminServer) signIn(t *testing.T, user string) string {
	t.Helper()
	status, body, h := as.call(t, "", "POST", "/auth/signin", `{"email":"`+user+`","password":"x"}`)
	if status != 200 || h.Get("st-access-token") == "" {
		t.Fatalf("sign-in of %s: %d %s", user, status, body)
	}
	return h.Get("st-access-token")
}

func (as *adminServer) call(t *testing.T, token, method, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, as.url+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("rid", "anti-csrf")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return res.StatusCode, m, res.Header
}

func (as *adminServer) adminActions() []core.SecurityEvent {
	as.mu.Lock()
	defer as.mu.Unlock()
	var out []core.SecurityEvent
	for _, ev := range as.events {
		if ev.Type == core.EventAdminAction {
			out = append(out, ev)
		}
	}
	return out
}

func keyList(t *testing.T, m map[string]any) []map[string]any {
	t.Helper()
	raw, _ := m["keys"].([]any)
	out := make([]map[string]any, len(raw))
	for i, k := range raw {
		out[i] = k.(map[string]any)
	}
	return out
}

func TestAdminManagedKeyRing(t *testing.T) {
	as := newAdminServer(t, core.AdminConfig{})
	root := as.signIn(t, "root")

	status, m, _ := as.call(t, root, "GET", "/auth/admin/api/keys", "")
	keys := keyList(t, m)
	if status != 200 || m["managed"] != true || len(keys) != 1 || keys[0]["signing"] != true {
		t.Fatalf("keys: %d %v", status, m)
	}
	first := keys[0]["kid"].(string)
	if next, created := m["nextRotation"].(float64), keys[0]["createdAt"].(float64); next <= created {
		t.Errorf("nextRotation %v is not after the key's creation %v", next, created)
	}
	for _, k := range keys {
		for name := range k {
			if strings.Contains(strings.ToLower(name), "private") || name == "d" {
				t.Errorf("the keys route shows %q", name)
			}
		}
	}

	status, m, _ = as.call(t, root, "POST", "/auth/admin/api/keys/rotate", `{}`)
	rotated, _ := m["kid"].(string)
	if status != 200 || rotated == "" || rotated == first {
		t.Fatalf("rotate: %d %v", status, m)
	}
	if _, m, _ = as.call(t, root, "GET", "/auth/admin/api/keys", ""); len(keyList(t, m)) != 2 {
		t.Fatalf("after rotate: %v; want two keys", m)
	}

	if status, m, _ = as.call(t, root, "POST", "/auth/admin/api/keys/revoke", `{"kid":"d-1"}`); status != 404 {
		t.Errorf("revoke of an unknown kid: %d %v; want 404", status, m)
	}
	if status, m, _ = as.call(t, root, "POST", "/auth/admin/api/keys/revoke", `{"kid":"`+first+`"}`); status != 200 {
		t.Fatalf("revoke: %d %v", status, m)
	}
	_, m, _ = as.call(t, root, "GET", "/auth/admin/api/keys", "")
	for _, k := range keyList(t, m) {
		if k["kid"] == first && (k["revoked"] != true || k["verifying"] != false) {
			t.Errorf("the revoked key still shows as %v", k)
		}
	}
	// The admin's token was signed by the revoked key: it no longer verifies.
	if status, _, _ = as.call(t, root, "GET", "/auth/admin/api/keys", ""); status != 401 {
		t.Errorf("a token signed by the revoked key: %d; want 401", status)
	}

	var reasons []string
	for _, ev := range as.adminActions() {
		if ev.Actor != "root" {
			t.Errorf("admin action without the admin as actor: %+v", ev)
		}
		reasons = append(reasons, ev.Reason)
	}
	if want := []string{"rotate_key " + rotated, "revoke_key " + first}; strings.Join(reasons, ",") != strings.Join(want, ",") {
		t.Errorf("admin actions = %v; want %v", reasons, want)
	}
}

func TestAdminAllowAndConfig(t *testing.T) {
	if _, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger(), Admin: &core.AdminConfig{}}); err == nil {
		t.Error("an Admin without Allow was accepted")
	}
	cfg := &core.AdminConfig{Allow: func(context.Context, *core.Session) bool { return true }}
	e, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger(), Admin: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if cfg.RecentAuth != 0 || e.Config().Admin.RecentAuth != core.DefaultAdminRecentAuth {
		t.Errorf("defaults: caller's RecentAuth %v, engine's %v; want the caller's untouched", cfg.RecentAuth, e.Config().Admin.RecentAuth)
	}
	// Without Admin nothing under /admin is served.
	off, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	for _, r := range off.Routes() {
		if strings.HasPrefix(r.Path, "/admin") {
			t.Errorf("route %s served without Config.Admin", r.Path)
		}
	}
	// DisableDashboard keeps the API and drops the page.
	api, err := core.New(core.Config{Store: memory.New(), Logger: discardLogger(), Admin: &core.AdminConfig{Allow: cfg.Allow, DisableDashboard: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	var paths []string
	for _, r := range api.Routes() {
		if strings.HasPrefix(r.Path, "/admin") {
			paths = append(paths, r.Path)
		}
	}
	if len(paths) != 11 || strings.Contains(strings.Join(paths, " "), "app.js") {
		t.Errorf("admin routes with DisableDashboard = %v; want the 11 API routes only", paths)
	}
}

// An Allow that consults the app (here: a user list that changes) is asked on every request,
// so removing an admin takes effect at once, without a new sign-in.
func TestAdminAllowIsAskedEveryRequest(t *testing.T) {
	var mu sync.Mutex
	admins := map[string]bool{"root": true}
	as := newAdminServer(t, core.AdminConfig{Allow: func(_ context.Context, s *core.Session) bool {
		mu.Lock()
		defer mu.Unlock()
		return admins[s.UserID()]
	}})
	root := as.signIn(t, "root")
	if status, _, _ := as.call(t, root, "GET", "/auth/admin/api/me", ""); status != 200 {
		t.Fatalf("admin: %d", status)
	}
	mu.Lock()
	admins["root"] = false
	mu.Unlock()
	if status, m, _ := as.call(t, root, "GET", "/auth/admin/api/me", ""); status != 403 || m["message"] != "forbidden" {
		t.Fatalf("after removal: %d %v; want 403 forbidden", status, m)
	}
}
