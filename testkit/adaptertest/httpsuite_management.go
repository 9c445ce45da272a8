package adaptertest

// HTTPSuite: session management over the wire (issue 7): the devices view with per-session
// lifetimes, idle timeout and absolute lifetime on the fixture clock, cookies that never outlive
// the session, typed claims re-fetched on refresh, auth_time kept across refreshes, re-sign-in
// rotating everything, the refresh-anomaly hook, the session cap, and revocation reaching the
// stateless routes of the same server at once.
//
// RequireRecentAuth is exercised through the session-ending routes, which the fixture guards
// with RecentAuthForSessionRoutes (FixtureRecentAuth); no app route of the fixture contract
// uses it directly.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testManagement(t *testing.T) {
	// Earlier groups leave failed sign-ins and refreshes on the in-memory limiters (at most 15
	// minutes per window); start from clean windows so that 429 never masks an answer.
	s.fx.Clock.Advance(15*time.Minute + time.Second)
	t.Run("devices_fields", s.mgmtDevicesFields)
	t.Run("revoke_others_reaches_stateless_routes", s.mgmtRevokeOthersStateless)
	t.Run("revocation_reaches_stateless_routes", s.mgmtRevokeOneStateless)
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run("idle_timeout/"+string(mode), func(t *testing.T) { s.mgmtIdleTimeout(t, mode) })
		t.Run("absolute_lifetime/"+string(mode), func(t *testing.T) { s.mgmtAbsoluteLifetime(t, mode) })
		t.Run("auth_time_kept/"+string(mode), func(t *testing.T) { s.mgmtAuthTimeKept(t, mode) })
		t.Run("resignin_rotates_everything/"+string(mode), func(t *testing.T) { s.mgmtResignIn(t, mode) })
	}
	t.Run("cookie_expiry_default_lifetime", s.mgmtCookieExpiryDefault)
	t.Run("typed_claim_refresh", s.mgmtTypedClaimRefresh)
	t.Run("typed_claim_fetched_at_signin", s.mgmtTypedClaimSignIn)
	t.Run("typed_claim_not_client_settable", s.mgmtTypedClaimNotSettable)
	t.Run("refresh_anomaly_logged", s.mgmtAnomaly)
	t.Run("recent_auth_on_session_routes", s.mgmtRecentAuth)
	t.Run("session_cap_evicts_oldest", s.mgmtSessionCap)
	t.Run("cap_disturbed_no_other_user", s.mgmtCapNoCollateral)
}

// carolID is carol's user id (her session lifetimes come from the fixture's LifetimePolicy).
const carolID = "user-carol"

// signInUser is signIn for any demo user, carol included.
func (s *suite) signInUser(t *testing.T, email string, mode transfer, opts ...reqOpt) *agent {
	t.Helper()
	a := s.signIn(t, email, mode, opts...)
	if email == CarolEmail {
		a.userID = carolID
	}
	return a
}

// soleCarol signs carol in and revokes, through the route, every other session of hers that
// earlier subtests left behind, so listings are exact.
func (s *suite) soleCarol(t *testing.T, mode transfer, opts ...reqOpt) *agent {
	t.Helper()
	a := s.signInUser(t, CarolEmail, mode, opts...)
	mustStatus(t, a.do(t, "POST", "/auth/sessions/revoke-others", nil), 200)
	return a
}

// entryOf returns the listing entry of handle, failing the test when it is missing.
func entryOf(t *testing.T, list []map[string]any, handle string) map[string]any {
	t.Helper()
	for _, e := range list {
		if e["sessionHandle"] == handle {
			return e
		}
	}
	t.Fatalf("session %s is not listed in %v", short(handle), list)
	return nil
}

// ms reads a Unix-millisecond member of a listing entry.
func ms(t *testing.T, e map[string]any, key string) int64 {
	t.Helper()
	v, ok := e[key].(float64)
	if !ok {
		t.Fatalf("entry member %q = %v, want a number", key, e[key])
	}
	return int64(v)
}

// mine lists the agent's sessions and returns its own entry, which must be flagged current.
func (s *suite) mine(t *testing.T, a *agent) map[string]any {
	t.Helper()
	_, list := s.listSessions(t, a)
	e := entryOf(t, list, a.handle(t))
	if e["current"] != true {
		t.Errorf("the caller's own entry is not flagged current: %v", e)
	}
	return e
}

func (s *suite) mgmtDevicesFields(t *testing.T) {
	const (
		chromeMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
		safariIOS = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1"
	)
	laptop := s.soleCarol(t, cookieMode, withHeader("User-Agent", chromeMac))
	signedIn := s.fx.Clock.Now()
	s.fx.Clock.Advance(time.Second) // a later createdAt, so the listing order is defined
	phone := s.signInUser(t, CarolEmail, headerMode, withHeader("User-Agent", safariIOS))
	phoneAt := s.fx.Clock.Now()

	for _, viewer := range []*agent{laptop, phone} {
		r, list := s.listSessions(t, viewer)
		expectNoStore(t, r)
		if len(list) != 2 {
			t.Fatalf("carol has two sessions, the listing has %d: %v", len(list), list)
		}
		if list[0]["sessionHandle"] != phone.handle(t) || list[1]["sessionHandle"] != laptop.handle(t) {
			t.Errorf("want newest first (phone, laptop): %v", list)
		}
		for _, e := range list {
			if want := e["sessionHandle"] == viewer.handle(t); e["current"] != want {
				t.Errorf("entry %v: current = %v, want %v", e["sessionHandle"], e["current"], want)
			}
		}
	}
	_, list := s.listSessions(t, laptop)
	for _, c := range []struct {
		a        *agent
		ua, dev  string
		signedIn time.Time
	}{{laptop, chromeMac, "Chrome on macOS", signedIn}, {phone, safariIOS, "Safari on iOS", phoneAt}} {
		e := entryOf(t, list, c.a.handle(t))
		if e["device"] != c.dev || e["userAgent"] != c.ua {
			t.Errorf("device %v, userAgent %v; want %q, %q", e["device"], e["userAgent"], c.dev, c.ua)
		}
		if ip, _ := e["ip"].(string); ip == "" {
			t.Errorf("entry has no ip: %v", e)
		}
		at := c.signedIn.UnixMilli()
		if got := ms(t, e, "createdAt"); got != at {
			t.Errorf("createdAt %d, want the sign-in time %d", got, at)
		}
		if got := ms(t, e, "lastActiveAt"); got != at {
			t.Errorf("lastActiveAt %d, want the sign-in time %d", got, at)
		}
		// carol's lifetimes come from the LifetimePolicy, not the engine defaults.
		if got, want := ms(t, e, "expiresAt"), c.signedIn.Add(FixtureCarolIdle).UnixMilli(); got != want {
			t.Errorf("expiresAt %d, want sign-in + %s = %d", got, FixtureCarolIdle, want)
		}
		if got, want := ms(t, e, "absoluteExpiresAt"), c.signedIn.Add(FixtureCarolAbsolute).UnixMilli(); got != want {
			t.Errorf("absoluteExpiresAt %d, want sign-in + %s = %d", got, FixtureCarolAbsolute, want)
		}
	}

	// A refresh moves lastActiveAt and the idle expiry, never createdAt or the absolute expiry.
	s.fx.Clock.Advance(5 * time.Minute)
	phone.do(t, "GET", "/api/me", nil) // warm, not a refresh
	r := phone.do(t, "POST", s.refreshPath, nil, withHeader("User-Agent", safariIOS))
	mustStatus(t, r, 200)
	phone.absorb(r)
	e := s.mine(t, phone)
	now := s.fx.Clock.Now()
	if got := ms(t, e, "lastActiveAt"); got != now.UnixMilli() {
		t.Errorf("after a refresh lastActiveAt is %d, want %d", got, now.UnixMilli())
	}
	if got, want := ms(t, e, "expiresAt"), now.Add(FixtureCarolIdle).UnixMilli(); got != want {
		t.Errorf("after a refresh expiresAt is %d, want now + idle = %d", got, want)
	}
	if got := ms(t, e, "createdAt"); got != phoneAt.UnixMilli() {
		t.Errorf("a refresh moved createdAt to %d", got)
	}
	if got, want := ms(t, e, "absoluteExpiresAt"), phoneAt.Add(FixtureCarolAbsolute).UnixMilli(); got != want {
		t.Errorf("a refresh moved absoluteExpiresAt to %d, want %d", got, want)
	}
	if e["device"] != "Safari on iOS" {
		t.Errorf("the device label changed on refresh: %v", e["device"])
	}
}

// mgmtRevokeOthersStateless: revoke-others is refused at once by the stateless /api/me of the
// same server for the other sessions' still-unexpired access tokens, without a database read.
func (s *suite) mgmtRevokeOthersStateless(t *testing.T) {
	keep := s.signIn(t, AliceEmail, cookieMode)
	others := []*agent{s.signIn(t, AliceEmail, headerMode), s.signIn(t, AliceEmail, cookieMode)}
	bob := s.signIn(t, BobEmail, headerMode)
	for _, o := range others {
		mustStatus(t, o.do(t, "GET", "/api/me", nil), 200)
	}
	r := keep.do(t, "POST", "/auth/sessions/revoke-others", nil)
	mustStatus(t, r, 200)
	if n, _ := r.json(t)["revoked"].(float64); n < float64(len(others)) {
		t.Errorf("%s: want at least %d sessions revoked", r, len(others))
	}
	for _, o := range others {
		r := o.do(t, "GET", "/api/me", nil)
		expectMessage(t, r, 401, "unauthorised")
		expectCleared(t, r, s)
		o.expectDead(t)
	}
	mustStatus(t, keep.do(t, "GET", "/api/me", nil), 200)
	mustStatus(t, bob.do(t, "GET", "/api/me", nil), 200)
	keep.expectAlive(t)
}

// mgmtRevokeOneStateless: DELETE /auth/sessions/{handle} and sign-out reach /api/me at once.
func (s *suite) mgmtRevokeOneStateless(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	b := s.signIn(t, AliceEmail, headerMode)
	mustStatus(t, b.do(t, "GET", "/api/me", nil), 200)
	mustStatus(t, a.do(t, "DELETE", "/auth/sessions/"+b.handle(t), nil), 200)
	expectMessage(t, b.do(t, "GET", "/api/me", nil), 401, "unauthorised")
	mustStatus(t, a.do(t, "GET", "/api/me", nil), 200)

	at := a.access
	mustStatus(t, a.do(t, "POST", "/auth/signout", nil), 200)
	expectMessage(t, s.c.do(t, "GET", "/api/me", nil, withBearer(at)), 401, "unauthorised")
}

// mgmtIdleTimeout: carol's session dies after FixtureCarolIdle without a refresh; each refresh
// restarts the idle window.
func (s *suite) mgmtIdleTimeout(t *testing.T, mode transfer) {
	a := s.signInUser(t, CarolEmail, mode)
	s.fx.Clock.Advance(FixtureCarolIdle - time.Minute)
	a.refreshOK(t)
	s.fx.Clock.Advance(FixtureCarolIdle - time.Minute) // 58 min after sign-in, alive thanks to the refresh
	a.refreshOK(t)
	a.expectAlive(t)
	s.fx.Clock.Advance(FixtureCarolIdle + time.Second)
	r := a.do(t, "POST", s.refreshPath, nil)
	expectMessage(t, r, 401, "unauthorised")
	expectCleared(t, r, s)
	if got := r.get(core.HeaderFrontToken); got != "remove" {
		t.Errorf("front-token %q, want remove", got)
	}
	if r := a.do(t, "GET", "/api/me/strict", nil); r.Status != 401 {
		t.Errorf("the idle session passes the strict route: %s", r)
	}
}

// mgmtAbsoluteLifetime: refreshing every 20 minutes keeps carol's session alive until her
// absolute lifetime and not a moment longer; expiresAt and the cookies never pass it.
func (s *suite) mgmtAbsoluteLifetime(t *testing.T, mode transfer) {
	a := s.signInUser(t, CarolEmail, mode)
	abs := s.fx.Clock.Now().Add(FixtureCarolAbsolute)
	s.checkCookieExpiry(t, a, abs)
	refreshed := 0
	for step := 1; ; step++ {
		s.fx.Clock.Advance(20 * time.Minute)
		now := s.fx.Clock.Now()
		r := a.do(t, "POST", s.refreshPath, nil)
		if now.Before(abs) {
			if r.Status != 200 {
				t.Fatalf("refresh %d, %s before the absolute expiry, failed: %s", step, abs.Sub(now), r)
			}
			a.absorb(r)
			refreshed++
			e := s.mine(t, a)
			exp, absAt := ms(t, e, "expiresAt"), ms(t, e, "absoluteExpiresAt")
			if absAt != abs.UnixMilli() {
				t.Errorf("refresh %d: absoluteExpiresAt %d, want %d (it must never move)", step, absAt, abs.UnixMilli())
			}
			if exp > absAt {
				t.Errorf("refresh %d: expiresAt %d is past absoluteExpiresAt %d", step, exp, absAt)
			}
			if want := min(now.Add(FixtureCarolIdle).UnixMilli(), abs.UnixMilli()); exp != want {
				t.Errorf("refresh %d: expiresAt %d, want min(now + idle, absolute) = %d", step, exp, want)
			}
			if ft := frontToken(t, r, a.accessToken()); ft.ATE > absAt {
				t.Errorf("refresh %d: the access token expires at %d, after the absolute expiry %d", step, ft.ATE, absAt)
			}
			s.checkCookieExpiry(t, a, time.UnixMilli(exp))
			continue
		}
		expectMessage(t, r, 401, "unauthorised")
		expectCleared(t, r, s)
		break
	}
	if want := int(FixtureCarolAbsolute/(20*time.Minute)) - 1; refreshed != want {
		t.Errorf("%d refreshes succeeded, want %d (every 20 minutes until %s)", refreshed, want, FixtureCarolAbsolute)
	}
	if r := a.do(t, "GET", "/api/me/strict", nil); r.Status != 401 {
		t.Errorf("the session passes the strict route after its absolute expiry: %s", r)
	}
	// A fresh sign-in gets a fresh absolute lifetime.
	b := s.signInUser(t, CarolEmail, mode)
	if got, want := ms(t, s.mine(t, b), "absoluteExpiresAt"), s.fx.Clock.Now().Add(FixtureCarolAbsolute).UnixMilli(); got != want {
		t.Errorf("a new session's absoluteExpiresAt is %d, want %d", got, want)
	}
}

// checkCookieExpiry requires, in cookie mode, that neither token cookie the agent holds
// expires after limit (the session's expiry), nor is already expired.
func (s *suite) checkCookieExpiry(t *testing.T, a *agent, limit time.Time) {
	t.Helper()
	if a.mode != cookieMode {
		return
	}
	now := s.fx.Clock.Now()
	for _, name := range []string{s.accessCookie, s.refreshCookie} {
		var c *http.Cookie
		for _, jc := range a.jar.m {
			if jc.Name == name {
				c = jc
			}
		}
		switch {
		case c == nil:
			t.Errorf("the agent holds no %s cookie", name)
		case c.Expires.IsZero() && c.MaxAge == 0:
			t.Errorf("%s is a browser-session cookie; want an Expires at the session's expiry", name)
		case c.Expires.After(limit):
			t.Errorf("%s expires at %v, after the session's expiry %v", name, c.Expires, limit)
		case !c.Expires.After(now):
			t.Errorf("%s is already expired (%v, now %v)", name, c.Expires, now)
		}
	}
}

// mgmtCookieExpiryDefault: with the default lifetimes the cookies expire with the session's
// idle expiry (to the second), and move with it on refresh.
func (s *suite) mgmtCookieExpiryDefault(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	for i := 0; i < 2; i++ {
		e := s.mine(t, a)
		exp := ms(t, e, "expiresAt")
		if exp > ms(t, e, "absoluteExpiresAt") {
			t.Errorf("expiresAt %d is past absoluteExpiresAt", exp)
		}
		s.checkCookieExpiry(t, a, time.UnixMilli(exp))
		for _, name := range []string{s.accessCookie, s.refreshCookie} {
			for _, c := range a.jar.m {
				if c.Name == name && c.Expires.Unix() != exp/1000 {
					t.Errorf("%s expires at %v, want the session's expiry %v", name, c.Expires.UTC(), time.UnixMilli(exp).UTC())
				}
			}
		}
		s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
		a.refreshOK(t)
	}
}

// roleClaimOf returns the FixtureRoleClaim member {"v","t"} of the front-token's payload.
func roleClaimOf(t *testing.T, r *result, accessToken string) (roles []string, fetchedMs int64) {
	t.Helper()
	ft := frontToken(t, r, accessToken)
	m, ok := ft.UP[FixtureRoleClaim].(map[string]any)
	if !ok {
		t.Fatalf("%s: the payload has no %s claim object: %v", r, FixtureRoleClaim, ft.UP)
	}
	list, ok := m["v"].([]any)
	if !ok {
		t.Fatalf("%s: %s.v = %v, want an array", r, FixtureRoleClaim, m["v"])
	}
	for _, v := range list {
		s, _ := v.(string)
		roles = append(roles, s)
	}
	tm, _ := m["t"].(float64)
	return roles, int64(tm)
}

// expectInvalidRole requires the exact 403 invalid-claim answer of /api/admin.
func (s *suite) expectInvalidRole(t *testing.T, r *result) {
	t.Helper()
	mustStatus(t, r, 403)
	body := r.json(t)
	if body["message"] != "invalid claim" {
		t.Errorf("%s: message %v, want invalid claim", r, body["message"])
	}
	errs, _ := body["claimValidationErrors"].([]any)
	if len(errs) != 1 {
		t.Fatalf("%s: want exactly one claimValidationErrors entry", r)
	}
	first, _ := errs[0].(map[string]any)
	if first["id"] != FixtureRoleClaim {
		t.Errorf("%s: claimValidationErrors[0].id = %v, want %s", r, first["id"], FixtureRoleClaim)
	}
	if reason, _ := first["reason"].(map[string]any); reason == nil || reason["message"] != "wrong value" {
		t.Errorf("%s: claimValidationErrors[0].reason = %v, want {message: wrong value, …}", r, first["reason"])
	}
	if len(body) != 2 {
		t.Errorf("%s: want exactly message and claimValidationErrors", r)
	}
	// A failed claim is not a session problem: nothing is issued or cleared.
	expectUntouched(t, r, s)
}

// mgmtTypedClaimRefresh: a role change reaches the token on the first refresh after the claim's
// MaxAge, not before, and never through verification alone.
func (s *suite) mgmtTypedClaimRefresh(t *testing.T) {
	const alice = "user-alice"
	t.Cleanup(func() { s.fx.SetRoles(alice, "admin") })
	a := s.signIn(t, AliceEmail, headerMode)
	signedIn := s.fx.Clock.Now()
	r := a.do(t, "GET", "/api/admin", nil)
	mustStatus(t, r, 200)

	s.fx.SetRoles(alice, "user")
	mustStatus(t, a.do(t, "GET", "/api/admin", nil), 200) // the token still says admin

	// A refresh before MaxAge keeps the fetched value and its fetch time.
	s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
	r = a.refreshOK(t)
	roles, fetched := roleClaimOf(t, r, a.accessToken())
	if !slices.Equal(roles, []string{"admin"}) || fetched != signedIn.UnixMilli() {
		t.Errorf("before MaxAge the refreshed token has %s = %v fetched at %d; want [admin] from the sign-in (%d)",
			FixtureRoleClaim, roles, fetched, signedIn.UnixMilli())
	}
	mustStatus(t, a.do(t, "GET", "/api/admin", nil), 200)

	// Past MaxAge, the next refresh re-fetches: the verdict changes.
	s.fx.Clock.Advance(FixtureRoleMaxAge - FixtureAccessTTL)
	r = a.refreshOK(t)
	roles, fetched = roleClaimOf(t, r, a.accessToken())
	if !slices.Equal(roles, []string{"user"}) || fetched != s.fx.Clock.Now().UnixMilli() {
		t.Errorf("after MaxAge the refreshed token has %s = %v fetched at %d; want [user] fetched now (%d)",
			FixtureRoleClaim, roles, fetched, s.fx.Clock.Now().UnixMilli())
	}
	s.expectInvalidRole(t, a.do(t, "GET", "/api/admin", nil))
	mustStatus(t, a.do(t, "GET", "/api/me", nil), 200)
	a.expectAlive(t)

	// And back: the grant reaches the session the same way.
	s.fx.SetRoles(alice, "admin")
	s.fx.Clock.Advance(FixtureRoleMaxAge + time.Second)
	a.refreshOK(t)
	mustStatus(t, a.do(t, "GET", "/api/admin", nil), 200)
}

// mgmtTypedClaimSignIn: a sign-in always fetches the claim, whatever the age of other sessions.
func (s *suite) mgmtTypedClaimSignIn(t *testing.T) {
	const bob = "user-bob"
	t.Cleanup(func() { s.fx.SetRoles(bob, "user") })
	old := s.signIn(t, BobEmail, cookieMode)
	s.expectInvalidRole(t, old.do(t, "GET", "/api/admin", nil))
	s.fx.SetRoles(bob, "user", "admin")
	s.expectInvalidRole(t, old.do(t, "GET", "/api/admin", nil))
	fresh := s.signIn(t, BobEmail, cookieMode)
	r := fresh.do(t, "GET", "/api/admin", nil)
	mustStatus(t, r, 200)
	if got := r.json(t)["userId"]; got != bob {
		t.Errorf("%s: want bob", r)
	}
	s.expectInvalidRole(t, old.do(t, "GET", "/api/admin", nil))
}

// mgmtTypedClaimNotSettable: the fixture app refuses a client-supplied role claim, and a claim
// forged into the payload by any other means would need a signature.
func (s *suite) mgmtTypedClaimNotSettable(t *testing.T) {
	bob := s.signIn(t, BobEmail, headerMode)
	now := s.fx.Clock.Now().UnixMilli()
	body := jsonBody(t, map[string]any{FixtureRoleClaim: map[string]any{"v": []string{"admin"}, "t": now}})
	r := bob.do(t, "POST", "/api/payload", body)
	mustStatus(t, r, 400)
	expectUntouched(t, r, s)
	s.expectInvalidRole(t, bob.do(t, "GET", "/api/admin", nil))
}

// mgmtAuthTimeKept: auth_time is the sign-in time and no refresh moves it.
func (s *suite) mgmtAuthTimeKept(t *testing.T, mode transfer) {
	a := s.signIn(t, AliceEmail, mode)
	signedIn := s.fx.Clock.Now().Unix()
	first := s.authTime(t, a)
	if first != signedIn {
		t.Errorf("auth_time %d, want the sign-in time %d", first, signedIn)
	}
	var lastIat float64
	for i := 0; i < 3; i++ {
		s.fx.Clock.Advance(FixtureAccessTTL + time.Second)
		r := a.refreshOK(t)
		ft := frontToken(t, r, a.accessToken())
		if at, _ := ft.UP["auth_time"].(float64); int64(at) != first {
			t.Errorf("refresh %d moved auth_time from %d to %v", i+1, first, ft.UP["auth_time"])
		}
		iat, _ := ft.UP["iat"].(float64)
		if iat <= lastIat {
			t.Errorf("refresh %d: iat %v did not move forward", i+1, iat)
		}
		lastIat = iat
	}
	// Merging the payload re-issues the access token; auth_time stays too.
	r := a.do(t, "POST", "/api/payload", jsonBody(t, map[string]string{"theme": "dark"}))
	mustStatus(t, r, 200)
	a.absorb(r)
	if got := s.authTime(t, a); got != first {
		t.Errorf("a payload update moved auth_time from %d to %d", first, got)
	}
}

// authTime is the auth_time of the agent's access token, which the front-token mirrors.
func (s *suite) authTime(t *testing.T, a *agent) int64 {
	t.Helper()
	at, ok := jwtPart(t, a.accessToken(), 1)["auth_time"].(float64)
	if !ok {
		t.Fatal("the access token has no auth_time")
	}
	return int64(at)
}

// mgmtResignIn: POST /auth/signin while signed in revokes the old session and issues entirely
// new tokens: a new handle, access token, refresh token and auth_time.
func (s *suite) mgmtResignIn(t *testing.T, mode transfer) {
	old := s.signIn(t, AliceEmail, mode)
	s.fx.Clock.Advance(FixtureAccessTTL / 2)
	oldAccess, oldRefresh, oldHandle, oldAuth := old.accessToken(), old.refreshToken(), old.handle(t), s.authTime(t, old)
	mustStatus(t, old.do(t, "GET", "/api/me", nil), 200)

	again := s.signIn(t, AliceEmail, mode, old.creds("/auth/signin"), withRID("anti-csrf"))
	if again.accessToken() == oldAccess || again.refreshToken() == oldRefresh || again.handle(t) == oldHandle {
		t.Fatal("re-sign-in kept a token or the session handle")
	}
	if got := s.authTime(t, again); got <= oldAuth || got != s.fx.Clock.Now().Unix() {
		t.Errorf("re-sign-in auth_time %d, want the new sign-in time %d", got, s.fx.Clock.Now().Unix())
	}
	// The old session is gone everywhere at once, including the stateless route.
	expectMessage(t, s.c.do(t, "GET", "/api/me", nil, withBearer(oldAccess)), 401, "unauthorised")
	old.expectDead(t)
	again.expectAlive(t)
	mustStatus(t, again.do(t, "GET", "/api/me", nil), 200)
	revoked := false
	for _, ev := range s.fx.Events() {
		if ev.Handle == oldHandle && (ev.Type == core.EventFixationReset || ev.Type == core.EventRevoked) {
			revoked = true
		}
	}
	if !revoked {
		t.Error("no event records the revocation of the old session")
	}
}

// mgmtAnomaly: a refresh from another User-Agent goes through (AnomalyLog) and is recorded and
// reported; a refresh from the sign-in's own client is not.
func (s *suite) mgmtAnomaly(t *testing.T) {
	const (
		signInUA = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
		otherUA  = "curl/8.5.0"
	)
	a := s.signIn(t, AliceEmail, headerMode, withHeader("User-Agent", signInUA))
	h := a.handle(t)
	anomaliesOf := func() []core.Anomaly {
		var out []core.Anomaly
		for _, an := range s.fx.Anomalies() {
			if an.Handle == h {
				out = append(out, an)
			}
		}
		return out
	}
	refresh := func(ua string) {
		t.Helper()
		r := a.do(t, "POST", s.refreshPath, nil, withHeader("User-Agent", ua))
		mustStatus(t, r, 200)
		a.absorb(r)
	}
	refresh(signInUA)
	if got := anomaliesOf(); len(got) != 0 {
		t.Fatalf("a refresh from the sign-in's client was flagged: %+v", got)
	}
	refresh(otherUA)
	got := anomaliesOf()
	if len(got) != 1 {
		t.Fatalf("a refresh from another User-Agent: %d anomalies recorded, want 1", len(got))
	}
	if an := got[0]; an.UserID != "user-alice" || an.SignInUserAgent != signInUA || an.UserAgent != otherUA || an.IP != an.SignInIP {
		t.Errorf("anomaly %+v: want alice, %q → %q, same IP", an, signInUA, otherUA)
	}
	logged := false
	for _, ev := range s.fx.Events() {
		if ev.Type == core.EventAnomaly && ev.Handle == h && ev.UserAgent == otherUA {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no %s event for the flagged refresh", core.EventAnomaly)
	}
	// AnomalyLog lets the session go on.
	a.expectAlive(t)
	mustStatus(t, a.do(t, "GET", "/api/me", nil), 200)
}

// mgmtSessionCap: the FixtureMaxSessions+1st sign-in of carol evicts her oldest session, and
// only it.
func (s *suite) mgmtSessionCap(t *testing.T) {
	agents := []*agent{s.soleCarol(t, headerMode)}
	for len(agents) < FixtureMaxSessions {
		s.fx.Clock.Advance(time.Second) // distinct createdAt: "oldest" is unambiguous
		agents = append(agents, s.signInUser(t, CarolEmail, headerMode))
	}
	_, list := s.listSessions(t, agents[len(agents)-1])
	if len(list) != FixtureMaxSessions {
		t.Fatalf("carol has %d sessions listed, want %d", len(list), FixtureMaxSessions)
	}
	agents[0].expectAlive(t)

	s.fx.Clock.Advance(time.Second)
	newest := s.signInUser(t, CarolEmail, cookieMode)
	oldest := agents[0].handle(t)
	expectMessage(t, agents[0].do(t, "GET", "/api/me", nil), 401, "unauthorised") // at once, statelessly
	agents[0].expectDead(t)
	agents[1].expectAlive(t)
	newest.expectAlive(t)
	_, list = s.listSessions(t, newest)
	if len(list) != FixtureMaxSessions {
		t.Errorf("after the eviction carol has %d sessions listed, want %d", len(list), FixtureMaxSessions)
	}
	evicted := false
	for _, ev := range s.fx.Events() {
		if ev.Type == core.EventRevoked && ev.Handle == oldest && strings.Contains(ev.Reason, "evicted") {
			evicted = true
		}
	}
	if !evicted {
		t.Error("no session_revoked event records the eviction")
	}
	// Tidy up: the cap must not evict anything in later subtests.
	mustStatus(t, newest.do(t, "POST", "/auth/sessions/revoke-others", nil), 200)
}

// mgmtCapNoCollateral: the fixture's cap is meant never to bind for alice and bob, whose
// sessions every other subtest uses; an eviction there would make other subtests flaky.
func (s *suite) mgmtCapNoCollateral(t *testing.T) {
	for _, ev := range s.fx.Events() {
		if ev.Type == core.EventRevoked && strings.Contains(ev.Reason, "evicted") && ev.UserID != carolID {
			t.Errorf("the session cap evicted a session of %s: raise FixtureMaxSessions", ev.UserID)
		}
	}
}

// mgmtRecentAuth: ending other sessions needs a recent sign-in (RequireRecentAuth through
// RecentAuthForSessionRoutes). Refreshing does not make a sign-in recent; signing in again does.
// Signing out the current session never needs it.
func (s *suite) mgmtRecentAuth(t *testing.T) {
	stale := s.signIn(t, AliceEmail, cookieMode)
	other := s.signIn(t, AliceEmail, headerMode)
	s.fx.Clock.Advance(FixtureRecentAuth + time.Minute)
	stale.refreshOK(t)
	other.refreshOK(t)
	expectStale := func(r *result) {
		t.Helper()
		mustStatus(t, r, 403)
		body := r.json(t)
		errs, _ := body["claimValidationErrors"].([]any)
		var first map[string]any
		if len(errs) == 1 {
			first, _ = errs[0].(map[string]any)
		}
		if body["message"] != "invalid claim" || first == nil || first["id"] != "auth_time" {
			t.Errorf("%s: want 403 invalid claim with one claimValidationErrors entry of id auth_time", r)
		}
		expectUntouched(t, r, s)
	}
	expectStale(stale.do(t, "POST", "/auth/sessions/revoke-others", nil))
	expectStale(stale.do(t, "DELETE", "/auth/sessions/"+other.handle(t), nil))
	other.expectAlive(t)
	stale.expectAlive(t)

	// Signing out the current session is always allowed.
	mustStatus(t, stale.do(t, "DELETE", "/auth/sessions/"+stale.handle(t), nil), 200)
	stale.expectDead(t)

	// A fresh sign-in satisfies it.
	fresh := s.signIn(t, AliceEmail, cookieMode)
	mustStatus(t, fresh.do(t, "DELETE", "/auth/sessions/"+other.handle(t), nil), 200)
	other.expectDead(t)
	fresh.expectAlive(t)
}
