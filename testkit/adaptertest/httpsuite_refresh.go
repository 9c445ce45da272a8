package adaptertest

// HTTPSuite: POST /auth/session/refresh, rotation and theft detection over the wire
// (docs/ROTATION.md R1–R4).

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testRefresh(t *testing.T) {
	t.Run("header_mode", s.refreshHeaderMode)
	t.Run("cookie_mode", s.refreshCookieMode)
	t.Run("no_token", s.refreshNoToken)
	t.Run("wrong_token", s.refreshWrongToken)
	t.Run("cookie_without_rid", s.refreshCookieWithoutRID)
	t.Run("cookie_hostile_origin", s.refreshCookieHostileOrigin)
	t.Run("R1_retry_within_grace", s.refreshRetryWithinGrace)
	t.Run("R3_reuse_after_grace", s.refreshReuseAfterGrace)
	t.Run("R3_ancestor_reuse", s.refreshAncestorReuse)
	t.Run("R2_concurrent", s.refreshConcurrent)
	t.Run("R4_forged_token", s.refreshForged)
	t.Run("strict_lineage", s.refreshStrictLineage)
	t.Run("idle_expiry", s.refreshIdleExpiry)
}

func (s *suite) refreshHeaderMode(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	handle, oldAT, oldRT := a.handle(t), a.access, a.rt
	s.fx.Clock.Advance(time.Second) // a new iat, so the new access token must differ
	r := a.do(t, "POST", s.refreshPath, nil)
	mustStatus(t, r, 200)
	r.json(t) // the body is not used by the SDK, but it is JSON
	ft := expectHeaderIssue(t, r)
	a.absorb(r)
	if a.access == oldAT || a.rt == oldRT {
		t.Errorf("refresh must hand out a new access token and a new refresh token")
	}
	if ft.UID != "user-alice" || ft.UP["sessionHandle"] != handle || ft.UP["role"] != "admin" {
		t.Errorf("front-token after refresh: uid %q, up %v", ft.UID, ft.UP)
	}
	if n := len(r.Header.Values("Set-Cookie")); n != 0 {
		t.Errorf("header-mode refresh sets cookies: %q", r.Header.Values("Set-Cookie"))
	}
	a.expectAlive(t)
	// Header mode is not CSRF-prone: no rid is needed.
	r = a.do(t, "POST", s.refreshPath, nil, withRID(""))
	mustStatus(t, r, 200)
	a.absorb(r)
	a.expectAlive(t)
}

func (s *suite) refreshCookieMode(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	oldAT, oldRT := a.accessToken(), a.refreshToken()
	s.fx.Clock.Advance(time.Second)
	r := a.do(t, "POST", s.refreshPath, nil, withOrigin(WebsiteOrigin))
	mustStatus(t, r, 200)
	ft := expectCookieIssue(t, r, s)
	a.absorb(r)
	if a.accessToken() == oldAT || a.refreshToken() == oldRT {
		t.Errorf("refresh must set a new access cookie and a new refresh cookie")
	}
	if ft.UID != "user-alice" {
		t.Errorf("front-token uid %q", ft.UID)
	}
	a.expectAlive(t)
}

// refreshNoToken: a fresh browser's first refresh must be 401 with front-token: remove, which
// moves the SDK's local state to NOT_EXISTS (protocol §1.7).
func (s *suite) refreshNoToken(t *testing.T) {
	for _, opts := range [][]reqOpt{
		nil,
		{withRID("session")},
		{withRID("session"), withHeader(core.HeaderAuthMode, "cookie"), withOrigin(WebsiteOrigin)},
	} {
		r := s.c.do(t, "POST", s.refreshPath, nil, opts...)
		expectMessage(t, r, 401, "unauthorised")
		expectCleared(t, r, s)
	}
}

// refreshWrongToken: anything but a genuine refresh token is 401 and clears the client.
func (s *suite) refreshWrongToken(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	for _, opt := range []reqOpt{
		withBearer(a.access), // an access token is not a refresh token
		withBearer("garbage"),
		withBearer(strings.Repeat("A", 22) + "." + strings.Repeat("B", 43) + "." + strings.Repeat("C", 22)),
		withCookieHeader(s.refreshCookie + "=garbage"),
	} {
		r := s.c.do(t, "POST", s.refreshPath, nil, opt, withRID("session"))
		expectMessage(t, r, 401, "unauthorised")
		expectCleared(t, r, s)
	}
	a.refreshOK(t)
	a.expectAlive(t)
}

// refreshCookieWithoutRID: the anti-CSRF check answers 403 and changes nothing, so a forged
// cross-site POST can neither rotate nor log out the session.
func (s *suite) refreshCookieWithoutRID(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	old := a.refreshToken()
	r := a.do(t, "POST", s.refreshPath, nil, withRID(""))
	mustStatus(t, r, 403)
	expectUntouched(t, r, s)
	if a.refreshToken() != old {
		t.Fatal("test bug: the agent changed")
	}
	// Nothing was rotated: the same token is still current and refreshes normally.
	a.refreshOK(t)
	a.expectAlive(t)
}

func (s *suite) refreshCookieHostileOrigin(t *testing.T) {
	a := s.signIn(t, AliceEmail, cookieMode)
	for _, opts := range [][]reqOpt{
		{withOrigin(hostileOrigin)},
		{withOrigin("null")},
		{withHeader("Sec-Fetch-Site", "cross-site")},
	} {
		r := a.do(t, "POST", s.refreshPath, nil, opts...)
		mustStatus(t, r, 403)
		expectUntouched(t, r, s)
	}
	a.refreshOK(t)
	a.expectAlive(t)
	s.expectHealthy(t)
}

// refreshRetryWithinGrace (R1): the response to a refresh was lost; the client retries with the
// same token inside the grace window and receives the identical child, which keeps working.
func (s *suite) refreshRetryWithinGrace(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run(string(mode), func(t *testing.T) {
			a := s.signIn(t, AliceEmail, mode)
			lost := a.refreshToken()
			jarBefore := a.jar.header(s.refreshPath)
			a.refreshOK(t) // this response "never arrived"
			child := a.refreshToken()
			s.fx.Clock.Advance(FixtureGrace / 2)

			var r *result
			if mode == headerMode {
				r = s.c.do(t, "POST", s.refreshPath, nil, withBearer(lost), withRID("session"))
			} else {
				r = s.c.do(t, "POST", s.refreshPath, nil, withCookieHeader(jarBefore), withRID("session"))
			}
			mustStatus(t, r, 200)
			retry := &agent{s: s, mode: mode, userID: a.userID, jar: newJar()}
			retry.absorb(r)
			if retry.refreshToken() != child {
				t.Fatalf("the retry returned a different refresh token than the lost response")
			}
			retry.expectAlive(t)
			retry.refreshOK(t)
			retry.expectAlive(t)
		})
	}
}

// refreshReuseAfterGrace (R3): presenting the previous token after the grace window is theft:
// 401 token theft detected, tokens cleared, and the whole session (newest token too) is dead.
func (s *suite) refreshReuseAfterGrace(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run(string(mode), func(t *testing.T) {
			a := s.signIn(t, AliceEmail, mode)
			stolen := a.refreshToken()
			stolenCookies := a.jar.header(s.refreshPath)
			a.refreshOK(t)
			s.fx.Clock.Advance(FixtureGrace + time.Second)

			var r *result
			if mode == headerMode {
				r = s.c.do(t, "POST", s.refreshPath, nil, withBearer(stolen), withRID("session"))
			} else {
				r = s.c.do(t, "POST", s.refreshPath, nil, withCookieHeader(stolenCookies), withRID("session"))
			}
			expectMessage(t, r, 401, "token theft detected")
			expectCleared(t, r, s)
			a.expectDead(t)
			s.expectHealthy(t)
		})
	}
}

// refreshAncestorReuse (R3, R8): a token two generations old that was superseded a grace
// window or more ago is theft.
func (s *suite) refreshAncestorReuse(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	root := a.rt
	a.refreshOK(t)
	s.fx.Clock.Advance(FixtureGrace)
	a.refreshOK(t)
	r := s.c.do(t, "POST", s.refreshPath, nil, withBearer(root), withRID("session"))
	expectMessage(t, r, 401, "token theft detected")
	expectCleared(t, r, s)
	a.expectDead(t)
	s.expectHealthy(t)
}

// refreshConcurrent (R2): many refreshes with the same token at once all succeed with the same
// child, and that child keeps working whichever response the client keeps.
func (s *suite) refreshConcurrent(t *testing.T) {
	const n = 32
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run(string(mode), func(t *testing.T) {
			a := s.signIn(t, AliceEmail, mode)
			parent := a.refreshToken()
			opts := append(a.sdkHeaders(s.refreshPath), a.creds(s.refreshPath))
			results := make([]*result, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = s.c.send("POST", s.refreshPath, nil, opts...)
				}()
			}
			close(start)
			wg.Wait()

			var child string
			var agents []*agent
			for i := range n {
				if errs[i] != nil {
					t.Fatalf("refresh %d: %v", i, errs[i])
				}
				r := results[i]
				if r.Status != 200 {
					t.Errorf("concurrent refresh %d: %s", i, r)
					continue
				}
				b := &agent{s: s, mode: mode, userID: a.userID, jar: newJar()}
				b.absorb(r)
				switch {
				case b.refreshToken() == "" || b.refreshToken() == parent:
					t.Errorf("concurrent refresh %d handed out no new refresh token", i)
				case child == "":
					child = b.refreshToken()
				case b.refreshToken() != child:
					t.Errorf("concurrent refresh %d handed out a different refresh token: the lineage forked", i)
				}
				agents = append(agents, b)
			}
			if t.Failed() {
				return
			}
			// Every access token handed out is on the current lineage.
			for _, b := range agents {
				b.expectAlive(t)
			}
			// Whichever response the client kept, its refresh token is the current one.
			agents[len(agents)-1].refreshOK(t)
			agents[len(agents)-1].expectAlive(t)
		})
	}
}

// forge returns variants of a genuine refresh token that only the server's secret could make
// valid: a new tag, a new body with the old tag, and a new body with a new tag.
func forge(t *testing.T, genuine string) []string {
	parts := strings.Split(genuine, ".")
	if len(parts) != 3 {
		// Not our three-part format: forge by changing the middle instead.
		return []string{flip(genuine)}
	}
	randLike := func(seg string) string {
		n, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			return flip(seg)
		}
		b := make([]byte, len(n))
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return []string{
		parts[0] + "." + parts[1] + "." + randLike(parts[2]),
		parts[0] + "." + randLike(parts[1]) + "." + parts[2],
		parts[0] + "." + randLike(parts[1]) + "." + randLike(parts[2]),
		parts[0] + "." + flip(parts[1]) + "." + parts[2],
	}
}

// refreshForged (R4): forged tokens aimed at a victim's handle are refused and revoke nothing.
func (s *suite) refreshForged(t *testing.T) {
	victim := s.signIn(t, AliceEmail, headerMode)
	victim.refreshOK(t) // give it a previous token too
	for _, f := range forge(t, victim.rt) {
		for _, opt := range []reqOpt{withBearer(f), withCookieHeader(s.refreshCookie + "=" + f)} {
			r := s.c.do(t, "POST", s.refreshPath, nil, opt, withRID("session"))
			expectMessage(t, r, 401, "unauthorised")
		}
	}
	// Forgeries of the superseded token must not count as theft either.
	victim.expectAlive(t)
	victim.refreshOK(t)
	victim.expectAlive(t)
	s.expectHealthy(t)
}

// refreshStrictLineage: the strict route accepts access tokens of the remembered lineage
// (current, previous, and older tokens superseded inside the grace window, R8); tokens
// superseded longer ago are refused there but still pass stateless verification until they
// expire.
func (s *suite) refreshStrictLineage(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	at0 := a.access
	a.refreshOK(t)
	at1 := a.access
	a.refreshOK(t)
	mustStatus(t, s.c.do(t, "GET", "/api/me/strict", nil, withBearer(at0)), 200)
	s.fx.Clock.Advance(FixtureGrace)
	a.refreshOK(t) // forgets what was superseded a grace window ago
	at2 := a.access
	mustStatus(t, s.c.do(t, "GET", "/api/me", nil, withBearer(at0)), 200)
	mustStatus(t, s.c.do(t, "GET", "/api/me/strict", nil, withBearer(at0)), 401)
	mustStatus(t, s.c.do(t, "GET", "/api/me/strict", nil, withBearer(at1)), 401)
	mustStatus(t, s.c.do(t, "GET", "/api/me/strict", nil, withBearer(at2)), 200)
	a.expectAlive(t)
}

// refreshIdleExpiry: each refresh extends the session's idle lifetime; a session left alone
// longer than RefreshTTL is gone, and its refresh answers 401 unauthorised with a clear.
func (s *suite) refreshIdleExpiry(t *testing.T) {
	idle := s.e.Config().RefreshTTL
	a := s.signIn(t, AliceEmail, cookieMode)
	// The cookies live as long as the session, not longer.
	if exp := a.jar.m[s.refreshCookie+"\x00"+s.refreshPath].Expires; exp.After(s.fx.Clock.Now().Add(idle)) {
		t.Errorf("the refresh cookie expires at %v, after the session's idle expiry", exp)
	}
	s.fx.Clock.Advance(idle * 6 / 10)
	a.refreshOK(t)
	s.fx.Clock.Advance(idle * 6 / 10) // 1.2 × idle after sign-in, 0.6 × idle after the refresh
	a.refreshOK(t)
	a.expectAlive(t)
	stale := a.jar.header(s.refreshPath)
	s.fx.Clock.Advance(idle + time.Second)
	r := s.c.do(t, "POST", s.refreshPath, nil, withCookieHeader(stale), withRID("session"))
	expectMessage(t, r, 401, "unauthorised")
	expectCleared(t, r, s)
	s.expectHealthy(t)
}
