package adaptertest

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// testAdmin checks the admin API and the dashboard (docs/ADMIN.md): the refusals first (no
// session, wrong role, stale sign-in, missing rid, cross-site origin), then every operation,
// its audit trail, and last the "log everyone out" button.
func (s *suite) testAdmin(t *testing.T) {
	t.Run("dashboard_files", s.adminDashboardFiles)
	t.Run("no_session", s.adminNoSession)
	t.Run("wrong_role", s.adminWrongRole)
	t.Run("csrf", s.adminCSRF)
	t.Run("stale_auth", s.adminStaleAuth)
	t.Run("find_and_list", s.adminFindAndList)
	t.Run("revoke_session", s.adminRevokeSession)
	t.Run("revoke_user", s.adminRevokeUser)
	t.Run("bad_input", s.adminBadInput)
	t.Run("events", s.adminEvents)
	t.Run("keys_and_stats", s.adminKeysAndStats)
	t.Run("revoke_all", s.adminRevokeAll)
}

const adminAPI = "/auth/admin/api/"

// adminReads and adminWrites are every API route, with a well-formed request.
var adminReads = []string{"me", "users?q=user-bob", "sessions?userId=user-bob", "events", "keys", "stats"}

type adminWrite struct{ path, body string }

var adminWrites = []adminWrite{
	{"sessions/revoke", `{"sessionHandle":"AAAAAAAAAAAAAAAAAAAAAA"}`},
	{"users/revoke", `{"userId":"user-bob"}`},
	{"revoke-all", `{"confirm":"REVOKE ALL"}`},
	{"keys/rotate", `{}`},
	{"keys/revoke", `{"kid":"no-such-kid"}`},
}

func (s *suite) adminDashboardFiles(t *testing.T) {
	r := s.c.do(t, "GET", "/auth/admin", nil)
	if r.Status != 308 || r.Header.Get("Location") != "/auth/admin/" {
		t.Errorf("GET /auth/admin: %s Location %q; want 308 to /auth/admin/", r, r.Header.Get("Location"))
	}
	page := s.c.do(t, "GET", "/auth/admin/", nil)
	if page.Status != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /auth/admin/: %s", page)
	}
	for _, f := range []struct{ path, ctype string }{{"/auth/admin/", "text/html"}, {"/auth/admin/app.js", "text/javascript"}, {"/auth/admin/app.css", "text/css"}} {
		r := s.c.do(t, "GET", f.path, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), f.ctype) || len(r.Body) == 0 {
			t.Errorf("GET %s: %s (%s); want 200 %s", f.path, r, r.Header.Get("Content-Type"), f.ctype)
		}
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", f.path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q allows inline code", f.path, csp)
		}
		if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: X-Frame-Options %q, X-Content-Type-Options %q", f.path, r.Header.Get("X-Frame-Options"), r.Header.Get("X-Content-Type-Options"))
		}
	}
	// No inline script or style: every <script> loads a file, and no element carries an
	// event handler or a style attribute (the CSP would block them anyway).
	html := string(page.Body)
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)<style`),
	} {
		if m := re.FindString(html); m != "" {
			t.Errorf("the dashboard page has inline code: %q", m)
		}
	}
	for _, tag := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAllString(html, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("the dashboard page has an inline script: %q", tag)
		}
	}
}

func (s *suite) adminNoSession(t *testing.T) {
	for _, p := range adminReads {
		if r := s.c.do(t, "GET", adminAPI+p, nil, withRID("anti-csrf")); r.Status != 401 {
			t.Errorf("no session: %s; want 401", r)
		}
	}
	for _, w := range adminWrites {
		if r := s.c.do(t, "POST", adminAPI+w.path, []byte(w.body), withRID("anti-csrf")); r.Status != 401 {
			t.Errorf("no session: %s; want 401", r)
		}
	}
}

func (s *suite) adminWrongRole(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		bob := s.signIn(t, BobEmail, mode)
		carol := s.signIn(t, CarolEmail, headerMode)
		before := len(s.fx.Events())
		for _, p := range adminReads {
			r := bob.do(t, "GET", adminAPI+p, nil)
			if r.Status != 403 || string(r.Body) != `{"message":"forbidden"}` {
				t.Errorf("%s mode, a user: %s; want 403 forbidden", mode, r)
			}
		}
		for _, w := range adminWrites {
			r := bob.do(t, "POST", adminAPI+w.path, []byte(w.body))
			if r.Status != 403 || string(r.Body) != `{"message":"forbidden"}` {
				t.Errorf("%s mode, a user: %s; want 403 forbidden", mode, r)
			}
		}
		// Nothing changed, and every refusal was audited.
		bob.expectAlive(t)
		carol.expectAlive(t)
		denied := 0
		for _, ev := range s.fx.Events()[before:] {
			if ev.Type == core.EventAdminDenied && ev.UserID == "user-bob" && ev.Reason == "role" {
				denied++
			}
		}
		if want := len(adminReads) + len(adminWrites); denied != want {
			t.Errorf("%s mode: %d admin_denied events for bob; want %d", mode, denied, want)
		}
	}
}

func (s *suite) adminCSRF(t *testing.T) {
	alice := s.signIn(t, AliceEmail, cookieMode)
	bob := s.signIn(t, BobEmail, headerMode)
	attacks := map[string][]reqOpt{
		"no rid":             {withRID("")},
		"cross-site origin":  {withOrigin(hostileOrigin)},
		"cross-site fetch":   {withHeader("Sec-Fetch-Site", "cross-site")},
		"same-site fetch":    {withHeader("Sec-Fetch-Site", "same-site")},
		"origin null":        {withOrigin("null")},
		"rid, wrong origin":  {withRID("anti-csrf"), withOrigin(hostileOrigin)},
		"no rid, own origin": {withRID(""), withOrigin(WebsiteOrigin)},
	}
	for name, opts := range attacks {
		r := alice.do(t, "GET", adminAPI+"sessions?userId=user-bob", nil, opts...)
		if r.Status != 403 || string(r.Body) != `{"message":"anti-csrf check failed"}` {
			t.Errorf("%s, read: %s; want 403 anti-csrf", name, r)
		}
		r = alice.do(t, "POST", adminAPI+"users/revoke", []byte(`{"userId":"user-bob"}`), opts...)
		if r.Status != 403 || string(r.Body) != `{"message":"anti-csrf check failed"}` {
			t.Errorf("%s, write: %s; want 403 anti-csrf", name, r)
		}
	}
	// A cross-site form post (text/plain, no rid) is refused too, and nothing was revoked.
	r := alice.do(t, "POST", adminAPI+"users/revoke", []byte(`{"userId":"user-bob"}`), withRID(""), withContentType("text/plain"))
	if r.Status != 403 {
		t.Errorf("form post: %s; want 403", r)
	}
	bob.expectAlive(t)
	alice.expectAlive(t)
	// The same requests from the dashboard's own origin pass.
	if r := alice.do(t, "GET", adminAPI+"sessions?userId=user-bob", nil, withOrigin(WebsiteOrigin)); r.Status != 200 {
		t.Errorf("own origin: %s; want 200", r)
	}
}

func (s *suite) adminStaleAuth(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	bob := s.signIn(t, BobEmail, headerMode)
	s.fx.Clock.Advance(FixtureAdminRecentAuth + time.Minute)
	alice.refreshOK(t) // a refresh never renews auth_time
	bob.refreshOK(t)
	// Reads need no recent sign-in.
	if r := alice.do(t, "GET", adminAPI+"sessions?userId=user-bob", nil); r.Status != 200 {
		t.Errorf("stale read: %s; want 200", r)
	}
	for _, w := range adminWrites {
		r := alice.do(t, "POST", adminAPI+w.path, []byte(w.body))
		if r.Status != 403 {
			t.Errorf("stale %s: %s; want 403", w.path, r)
			continue
		}
		errs, _ := r.json(t)["claimValidationErrors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["id"] != "auth_time" {
			t.Errorf("stale %s: %s; want one auth_time claim failure", w.path, r)
		}
	}
	bob.expectAlive(t)
	alice.expectAlive(t)
	// A new sign-in is recent again.
	fresh := s.signIn(t, AliceEmail, headerMode)
	if r := fresh.do(t, "POST", adminAPI+"users/revoke", []byte(`{"userId":"user-bob"}`)); r.Status != 200 {
		t.Errorf("fresh sign-in: %s; want 200", r)
	}
	bob.expectDead(t)
}

func (s *suite) adminFindAndList(t *testing.T) {
	alice := s.signIn(t, AliceEmail, cookieMode)
	bob := s.signIn(t, BobEmail, headerMode)
	me := alice.do(t, "GET", adminAPI+"me", nil).json(t)
	if me["userId"] != "user-alice" || me["sessionHandle"] != alice.handle(t) {
		t.Errorf("me = %v", me)
	}
	if at, until := me["authTime"].(float64), me["recentAuthUntil"].(float64); int64(until-at) != FixtureAdminRecentAuth.Milliseconds() {
		t.Errorf("me: recentAuthUntil - authTime = %v ms; want %d", until-at, FixtureAdminRecentAuth.Milliseconds())
	}
	for _, q := range []string{BobEmail, "user-bob"} {
		users := alice.do(t, "GET", adminAPI+"users?q="+url.QueryEscape(q), nil).json(t)["users"].([]any)
		if len(users) != 1 || users[0].(map[string]any)["userId"] != "user-bob" || users[0].(map[string]any)["liveSessions"].(float64) < 1 {
			t.Errorf("users?q=%s = %v; want user-bob with live sessions", q, users)
		}
	}
	if users := alice.do(t, "GET", adminAPI+"users?q=nobody-here", nil).json(t)["users"].([]any); len(users) != 0 {
		t.Errorf("users?q=nobody-here = %v; want none", users)
	}
	r := alice.do(t, "GET", adminAPI+"sessions?userId=user-bob", nil)
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("sessions: Cache-Control %q; want no-store", r.Header.Get("Cache-Control"))
	}
	body := r.json(t)
	var found map[string]any
	for _, v := range body["sessions"].([]any) {
		if m := v.(map[string]any); m["sessionHandle"] == bob.handle(t) {
			found = m
		}
	}
	if found == nil {
		t.Fatalf("sessions?userId=user-bob = %s; bob's session is missing", r)
	}
	for _, k := range []string{"createdAt", "lastActiveAt", "expiresAt", "absoluteExpiresAt", "ip", "userAgent", "device"} {
		if _, ok := found[k]; !ok {
			t.Errorf("session view lacks %q: %v", k, found)
		}
	}
	if found["status"] != "active" {
		t.Errorf("a session used just now has status %v; want active", found["status"])
	}
	for k := range found {
		if strings.Contains(strings.ToLower(k), "token") || strings.Contains(strings.ToLower(k), "secret") {
			t.Errorf("session view has a %q member", k)
		}
	}
}

// adminAuditFor returns the events recorded since before that match.
func (s *suite) adminAuditFor(before int, typ, actor, userID, handle string) []core.SecurityEvent {
	var out []core.SecurityEvent
	for _, ev := range s.fx.Events()[before:] {
		if ev.Type == typ && ev.Actor == actor && ev.UserID == userID && (handle == "" || ev.Handle == handle) {
			out = append(out, ev)
		}
	}
	return out
}

func (s *suite) adminRevokeSession(t *testing.T) {
	alice := s.signIn(t, AliceEmail, cookieMode)
	bob := s.signIn(t, BobEmail, cookieMode)
	bob2 := s.signIn(t, BobEmail, headerMode)
	before := len(s.fx.Events())
	h := bob.handle(t)
	r := alice.do(t, "POST", adminAPI+"sessions/revoke", jsonBody(t, map[string]string{"sessionHandle": h}))
	if r.Status != 200 || string(r.Body) != `{"revoked":true,"status":"OK"}` {
		t.Fatalf("revoke: %s", r)
	}
	bob.expectDead(t)
	bob2.expectAlive(t)
	// The plain (not store-checked) route refuses it at once on this instance too.
	if r := bob.do(t, "GET", "/api/me", nil); r.Status != 401 {
		t.Errorf("revoked session on /api/me: %s; want 401", r)
	}
	if got := s.adminAuditFor(before, core.EventAdminAction, "user-alice", "user-bob", h); len(got) != 1 || got[0].Reason != "revoke_session" {
		t.Errorf("admin_action events = %+v; want one revoke_session by user-alice", got)
	}
	if got := s.adminAuditFor(before, core.EventRevoked, "user-alice", "user-bob", h); len(got) != 1 {
		t.Errorf("session_revoked events naming the admin = %+v; want one", got)
	}
	again := alice.do(t, "POST", adminAPI+"sessions/revoke", jsonBody(t, map[string]string{"sessionHandle": h}))
	if again.Status != 200 || string(again.Body) != `{"revoked":false,"status":"OK"}` {
		t.Errorf("revoke twice: %s; want revoked false", again)
	}
}

func (s *suite) adminRevokeUser(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	bobs := []*agent{s.signIn(t, BobEmail, cookieMode), s.signIn(t, BobEmail, headerMode)}
	carol := s.signIn(t, CarolEmail, headerMode)
	before := len(s.fx.Events())
	r := alice.do(t, "POST", adminAPI+"users/revoke", []byte(`{"userId":"user-bob"}`))
	if r.Status != 200 {
		t.Fatalf("revoke user: %s", r)
	}
	revoked, _ := r.json(t)["revoked"].([]any)
	for _, b := range bobs {
		if !slices.Contains(revoked, any(b.handle(t))) {
			t.Errorf("revoked = %v; missing %s", revoked, b.handle(t))
		}
		b.expectDead(t)
	}
	carol.expectAlive(t)
	alice.expectAlive(t)
	if got := s.adminAuditFor(before, core.EventAdminAction, "user-alice", "user-bob", ""); len(got) != 1 || got[0].Reason != "revoke_user" {
		t.Errorf("admin_action events = %+v; want one revoke_user", got)
	}
	if got := s.adminAuditFor(before, core.EventRevoked, "user-alice", "user-bob", ""); len(got) < len(bobs) {
		t.Errorf("session_revoked events naming the admin = %d; want at least %d", len(got), len(bobs))
	}
}

func (s *suite) adminBadInput(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	bob := s.signIn(t, BobEmail, headerMode)
	for _, c := range []struct {
		method, path, body, ctype string
		status                    int
	}{
		{"POST", "users/revoke", `{"userId":"user-bob","extra":1}`, "", 400},
		{"POST", "users/revoke", `{"userId":"user-bob","userId":"user-carol"}`, "", 400},
		{"POST", "users/revoke", `{"userId":"user-bob"}`, "text/plain", 415},
		{"POST", "users/revoke", `{"userId":""}`, "", 400},
		{"POST", "users/revoke", `[{"userId":"user-bob"}]`, "", 400},
		{"POST", "users/revoke", `{"userId":"user-bob"} {}`, "", 400},
		{"POST", "sessions/revoke", `{"sessionHandle":"../../etc"}`, "", 400},
		{"POST", "revoke-all", `{"confirm":"revoke all"}`, "", 400},
		{"POST", "revoke-all", `{}`, "", 400},
		{"POST", "keys/revoke", `{"kid":""}`, "", 400},
		{"GET", "sessions", "", "", 400},
		{"GET", "sessions?userId=%zz", "", "", 400},
		{"GET", "users?q=", "", "", 400},
		{"GET", "events?limit=-1", "", "", 400},
		{"GET", "events?since=yesterday", "", "", 400},
		{"GET", "events?cursor=not-a-cursor", "", "", 400},
		{"GET", "stats?hours=0", "", "", 400},
		{"GET", "stats?hours=1000", "", "", 400},
	} {
		var body []byte
		var opts []reqOpt
		if c.body != "" {
			body = []byte(c.body)
		}
		if c.ctype != "" {
			opts = append(opts, withContentType(c.ctype))
		}
		r := alice.do(t, c.method, adminAPI+c.path, body, opts...)
		if r.Status != c.status || r.json(t)["message"] == nil {
			t.Errorf("%s %s %s: %s; want %d with a message", c.method, c.path, c.body, r, c.status)
		}
	}
	bob.expectAlive(t)
	alice.expectAlive(t)
}

func (s *suite) adminEvents(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	bob := s.signIn(t, BobEmail, headerMode)
	h := bob.handle(t)
	if r := alice.do(t, "POST", adminAPI+"sessions/revoke", jsonBody(t, map[string]string{"sessionHandle": h})); r.Status != 200 {
		t.Fatalf("revoke: %s", r)
	}
	first := alice.do(t, "GET", adminAPI+"events?limit=1", nil)
	if first.Status == 404 {
		if _, ok := s.fx.Store.(core.AuditLog); ok {
			t.Fatalf("events: %s, but the store keeps an audit log", first)
		}
		t.Logf("the store keeps no audit log: the events route answers 404 as documented")
		return
	}
	// The writer is asynchronous: wait (with a deadline) for the admin's action to be stored.
	q := adminAPI + "events?sessionHandle=" + h + "&types=" + core.EventAdminAction
	var evs []any
	deadline := time.Now().Add(10 * time.Second)
	for len(evs) == 0 && time.Now().Before(deadline) {
		evs, _ = alice.do(t, "GET", q, nil).json(t)["events"].([]any)
		if len(evs) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(evs) != 1 {
		t.Fatalf("%s = %v; want the admin's action", q, evs)
	}
	ev := evs[0].(map[string]any)
	if ev["actor"] != "user-alice" || ev["userId"] != "user-bob" || ev["reason"] != "revoke_session" || ev["id"] == "" {
		t.Errorf("admin event = %v", ev)
	}
	// Keyset paging: limit 1 gives a cursor, and the next page starts after it.
	p1 := alice.do(t, "GET", adminAPI+"events?limit=1&userId=user-bob", nil).json(t)
	next, _ := p1["next"].(string)
	if next == "" || len(p1["events"].([]any)) != 1 {
		t.Fatalf("page 1 = %v; want one event and a cursor", p1)
	}
	p2 := alice.do(t, "GET", adminAPI+"events?limit=1&userId=user-bob&cursor="+next, nil).json(t)
	e1, e2 := p1["events"].([]any)[0].(map[string]any), p2["events"].([]any)
	if len(e2) != 1 || e2[0].(map[string]any)["id"].(string) >= e1["id"].(string) {
		t.Errorf("page 2 = %v after %v; want an older event", e2, e1)
	}
	// Nothing secret is in any event.
	all := alice.do(t, "GET", adminAPI+"events?limit=500", nil)
	for _, secret := range []string{alice.accessToken(), alice.refreshToken(), bob.refreshToken(), DemoPassword} {
		if strings.Contains(string(all.Body), secret) {
			t.Fatal("the events route returned a token or password")
		}
	}
}

func (s *suite) adminKeysAndStats(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	keys := alice.do(t, "GET", adminAPI+"keys", nil).json(t)
	list, _ := keys["keys"].([]any)
	signing := 0
	for _, k := range list {
		if k.(map[string]any)["signing"] == true {
			signing++
		}
	}
	if len(list) == 0 || signing != 1 {
		t.Errorf("keys = %v; want a list with one signing key", keys)
	}
	if _, managed := s.e.Config().Keys.(core.KeyRingAdmin); !managed {
		if keys["managed"] != false {
			t.Errorf("keys.managed = %v for a static ring", keys["managed"])
		}
		for _, p := range []string{"keys/rotate", "keys/revoke"} {
			body := `{}`
			if p == "keys/revoke" {
				body = `{"kid":"x"}`
			}
			if r := alice.do(t, "POST", adminAPI+p, []byte(body)); r.Status != 409 {
				t.Errorf("%s on a static ring: %s; want 409", p, r)
			}
		}
	}
	st := alice.do(t, "GET", adminAPI+"stats?hours=3", nil).json(t)
	if _, ok := s.fx.Store.(core.LiveCounter); ok {
		if n, _ := st["liveSessions"].(float64); n < 1 {
			t.Errorf("stats.liveSessions = %v; want at least alice's session", st["liveSessions"])
		}
	} else if st["liveSessions"] != nil {
		t.Errorf("stats.liveSessions = %v without a LiveCounter; want null", st["liveSessions"])
	}
	if _, ok := s.fx.Store.(core.EventCounter); ok {
		if hours, _ := st["hours"].([]any); len(hours) != 3 {
			t.Errorf("stats.hours = %v; want 3 buckets", st["hours"])
		}
	}
	if a, _ := st["audit"].(map[string]any); a == nil {
		t.Errorf("stats.audit missing: %v", st)
	}
}

func (s *suite) adminRevokeAll(t *testing.T) {
	alice := s.signIn(t, AliceEmail, headerMode)
	bob := s.signIn(t, BobEmail, cookieMode)
	carol := s.signIn(t, CarolEmail, headerMode)
	if _, ok := s.fx.Store.(core.AllRevoker); !ok {
		if r := alice.do(t, "POST", adminAPI+"revoke-all", []byte(`{"confirm":"REVOKE ALL"}`)); r.Status != 409 {
			t.Errorf("revoke-all without AllRevoker: %s; want 409", r)
		}
		return
	}
	before := len(s.fx.Events())
	r := alice.do(t, "POST", adminAPI+"revoke-all", []byte(`{"confirm":"REVOKE ALL"}`))
	if r.Status != 200 {
		t.Fatalf("revoke-all: %s", r)
	}
	if n, _ := r.json(t)["revoked"].(float64); n < 3 {
		t.Errorf("revoke-all revoked %v; want at least 3", n)
	}
	for _, a := range []*agent{alice, bob, carol} {
		a.expectDead(t)
	}
	if got := s.adminAuditFor(before, core.EventAdminAction, "user-alice", "", ""); len(got) != 1 || got[0].Reason != "revoke_all" {
		t.Errorf("admin_action events = %+v; want one revoke_all", got)
	}
	s.expectHealthy(t)
}
