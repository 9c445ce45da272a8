package adaptertest

// HTTPSuite: the hardening group. Each subtest is a class of fault an outside attack run
// found against the examples (issue "Outside-in hardening"); docs/SECURITY.md maps them to
// their rows.

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ratchetauth/ratchet/core"
)

func (s *suite) testHardening(t *testing.T) {
	t.Run("client_strings", s.hardenClientStrings)
	t.Run("nul_user_agent", s.hardenNULUserAgent)
	t.Run("limits_under_concurrency", s.hardenConcurrentGuesses)
	t.Run("payload_too_large", s.hardenPayloadTooLarge)
	t.Run("data_too_large", s.hardenDataTooLarge)
	t.Run("delayed_ancestor", s.hardenDelayedAncestor)
}

// hardenClientStrings: a User-Agent that is not UTF-8, or longer than the column, is
// normalised once, before it is stored and before it is compared, so sign-in works on every
// database and refreshes from the same client are never anomalies.
func (s *suite) hardenClientStrings(t *testing.T) {
	long := strings.Repeat("M", 511) + "é and more" // the cut falls inside é
	for name, ua := range map[string]string{"latin-1": "caf\xe9 browser/1.0", "long": long, "C1": "x\u0085y"} {
		t.Run(name, func(t *testing.T) {
			before := len(s.fx.Anomalies())
			a := s.signIn(t, AliceEmail, headerMode, withHeader("User-Agent", ua))
			for range 2 {
				r := a.do(t, "POST", s.refreshPath, nil, withHeader("User-Agent", ua))
				if r.Status != 200 {
					t.Fatalf("refresh from the same client: %s", r)
				}
				a.absorb(r)
			}
			if n := len(s.fx.Anomalies()) - before; n != 0 {
				t.Errorf("%d refresh anomalies for a client that did not change (its User-Agent was compared unnormalised)", n)
			}
			r := a.do(t, "GET", "/auth/sessions", nil, withHeader("User-Agent", ua))
			mustStatus(t, r, 200)
			for _, sv := range r.json(t)["sessions"].([]any) {
				got, _ := sv.(map[string]any)["userAgent"].(string)
				if !utf8.ValidString(got) || len(got) > 512 || strings.ContainsRune(got, 0x85) {
					t.Errorf("stored User-Agent %q is not normalised (valid UTF-8, no controls, at most 512 bytes)", got)
				}
			}
			a.expectAlive(t)
		})
	}
}

// hardenNULUserAgent: a NUL byte in the User-Agent (fasthttp passes it on; PostgreSQL refuses
// it in text) never makes sign-in fail with a server error. net/http refuses such a header
// itself (400), which is fine too.
func (s *suite) hardenNULUserAgent(t *testing.T) {
	body := string(signInBody(t, AliceEmail))
	host := strings.TrimPrefix(s.c.base, "http://")
	conn, err := net.DialTimeout("tcp", host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute)) // a safety net, not an assertion
	fmt.Fprintf(conn, "POST /auth/signin HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nUser-Agent: nul\x00byte\r\n"+
		"Content-Length: %d\r\nConnection: close\r\n\r\n%s", host, len(body), body)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to a sign-in with a NUL in its User-Agent: %v", err)
	}
	res.Body.Close()
	if res.StatusCode >= 500 {
		t.Fatalf("sign-in with a NUL byte in the User-Agent: %d, want success or a 4xx", res.StatusCode)
	}
	if res.StatusCode == 200 {
		tok := res.Header.Get(core.HeaderAccessToken)
		if r := s.c.do(t, "GET", "/api/me/strict", nil, withBearer(tok)); r.Status != 200 {
			t.Fatalf("the session signed in with a NUL User-Agent does not work: %s", r)
		}
	}
}

// hardenConcurrentGuesses: a limit holds under concurrency. 60 concurrent wrong-password
// sign-ins for one account, each held inside a slow password check, must not all reach the
// check: at most the account's limit do, the rest get 429 without it. The rate_limited
// events name the account by a digest, never by what was typed into the email box.
func (s *suite) hardenConcurrentGuesses(t *testing.T) {
	// Start from fresh windows (the default limits are 30 per IP per 5 min, 10 per account per
	// 15 min) and leave fresh ones behind for the groups that follow.
	s.fx.Clock.Advance(16 * time.Minute)
	defer s.fx.Clock.Advance(16 * time.Minute)
	entered, release := s.fx.HoldSlowSignIns()
	defer release()
	const guesses = 60
	body := jsonBody(t, map[string]string{"email": SlowEmail, "password": "guess"})
	var mu sync.Mutex
	statuses := map[int]int{}
	answered := 0
	var wg sync.WaitGroup
	for range guesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.c.send("POST", "/auth/signin", body)
			mu.Lock()
			defer mu.Unlock()
			answered++
			if err != nil {
				statuses[-1]++
				return
			}
			statuses[r.Status]++
		}()
	}
	// Wait until every guess is answered (refused before the check) or inside the check, or
	// until all but the limit's worth are answered (the rest may be queued for a store slot).
	deadline := time.Now().Add(time.Minute) // a safety net against a hung server
	for {
		mu.Lock()
		a := answered
		mu.Unlock()
		if a+entered() >= guesses || a >= guesses-10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	release()
	wg.Wait()
	inside := entered() // every guess that ever reached the password check
	if inside > 10 {
		t.Errorf("%d of %d concurrent guesses reached the password check; the account limit is 10", inside, guesses)
	}
	if statuses[429] < guesses-10 || statuses[-1] > 0 {
		t.Errorf("answers %v: want at least %d × 429 and no transport errors", statuses, guesses-10)
	}
	for _, ev := range s.fx.Events() {
		if ev.Type == core.EventRateLimited && strings.Contains(strings.ToLower(ev.Reason), "slow@") {
			t.Fatalf("a rate_limited event shows what was typed into the email box: %q", ev.Reason)
		}
	}
}

// hardenPayloadTooLarge: a payload whose tokens would not fit the requests that carry them is
// refused when it is set (413, clear message), and the session goes on working: nothing was
// stored, so no later request of the user hits a header limit.
func (s *suite) hardenPayloadTooLarge(t *testing.T) {
	for _, mode := range []transfer{headerMode, cookieMode} {
		t.Run(string(mode), func(t *testing.T) {
			a := s.signIn(t, AliceEmail, mode)
			big := jsonBody(t, map[string]any{"blob": strings.Repeat("x", 1500)})
			r := a.do(t, "POST", "/api/payload", big)
			if r.Status != 413 || !strings.Contains(string(r.Body), "TokenHeaderBudget") {
				t.Fatalf("a 1.5 KB claim: %s, want 413 naming Config.TokenHeaderBudget", r)
			}
			if r.has(core.HeaderAccessToken) || len(r.setCookies()) > 0 {
				t.Errorf("the refused payload re-issued tokens: %v", r.Header)
			}
			a.expectAlive(t)
			a.refreshOK(t)
			if r := a.do(t, "GET", "/api/me", nil); r.Status != 200 {
				t.Fatalf("after the refused payload: %s", r)
			}
			small := jsonBody(t, map[string]any{"plan": "pro"})
			if r := a.do(t, "POST", "/api/payload", small); r.Status != 200 {
				t.Fatalf("a small claim after the refusal: %s", r)
			}
		})
	}
}

// hardenDataTooLarge: session data has a cap (Config.MaxSessionDataBytes, 64 KiB by default);
// the write that would cross it gets 413 and changes nothing.
func (s *suite) hardenDataTooLarge(t *testing.T) {
	a := s.signIn(t, BobEmail, headerMode)
	note := jsonBody(t, map[string]any{"text": strings.Repeat("n", 30000)})
	for i := range 2 {
		if r := a.do(t, "POST", "/api/notes", note); r.Status != 200 {
			t.Fatalf("note %d of 30 KB: %s", i+1, r)
		}
	}
	r := a.do(t, "POST", "/api/notes", note)
	if r.Status != 413 || !strings.Contains(string(r.Body), "MaxSessionDataBytes") {
		t.Fatalf("the note that crosses 64 KiB of session data: %s, want 413 naming Config.MaxSessionDataBytes", r)
	}
	r = a.do(t, "GET", "/api/notes", nil)
	mustStatus(t, r, 200)
	if n := len(r.json(t)["notes"].([]any)); n != 2 {
		t.Errorf("%d notes after the refused write, want the 2 stored before", n)
	}
	a.expectAlive(t)
}

// hardenDelayedAncestor: R8 over the wire. A tab's refresh with a token two rotations old
// (other tabs rotated meanwhile), inside its grace window, gets the current tokens; nothing is
// revoked and no theft is reported.
func (s *suite) hardenDelayedAncestor(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	old := a.rt
	a.refreshOK(t)
	a.refreshOK(t)
	thefts := countEvents(s.fx, core.EventTokenTheft)
	r := s.c.do(t, "POST", s.refreshPath, nil, withRID("session"), withHeader(core.HeaderAuthMode, "header"), withBearer(old))
	if r.Status != 200 {
		t.Fatalf("a tab's delayed refresh with a token two rotations old: %s, want 200", r)
	}
	if got := r.get(core.HeaderRefreshToken); got != a.rt {
		t.Errorf("the delayed tab got a refresh token other than the lineage's current one")
	}
	if n := countEvents(s.fx, core.EventTokenTheft) - thefts; n != 0 {
		t.Errorf("%d token_theft events for an honest delayed tab", n)
	}
	late := &agent{s: s, mode: headerMode, userID: a.userID, jar: newJar()}
	late.absorb(r)
	late.expectAlive(t)
	a.expectAlive(t)
	a.refreshOK(t)
}

func countEvents(f *Fixture, typ string) int {
	n := 0
	for _, ev := range f.Events() {
		if ev.Type == typ {
			n++
		}
	}
	return n
}
