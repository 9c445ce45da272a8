package demotest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// Pool starts the example as a process on PostgreSQL, then on MariaDB, with
// DB_MAX_OPEN_CONNS=5, fires rounds of 60 concurrent refreshes with random well-formed
// tokens (each one a database lookup), and checks that the app never holds more than 5
// connections to the database while they run, and that every refresh gets its 401 (a pool
// that waits, never a 5xx). The connections are counted by the database server itself:
// pg_stat_activity by application_name, MariaDB's processlist by database.
func Pool(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		d := testdb.NewPostgres(t, "demo_pool_")
		poolBounded(t, d.URL, func(ctx context.Context) (int, error) {
			var n int
			err := d.Admin.QueryRowContext(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", d.Name).Scan(&n)
			return n, err
		})
	})
	t.Run("mariadb", func(t *testing.T) {
		d := testdb.NewMariaDB(t, "demo_pool_")
		poolBounded(t, d.URL, func(ctx context.Context) (int, error) {
			var n int
			err := d.Admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?", d.Name).Scan(&n)
			return n, err
		})
	})
}

func poolBounded(t *testing.T, dbURL string, connections func(context.Context) (int, error)) {
	const limit, concurrent, rounds = 5, 60, 5
	_, kek := core.NewKEK()
	app := startApp(t, "DATABASE_URL="+dbURL, "RATCHET_KEK="+kek, fmt.Sprintf("DB_MAX_OPEN_CONNS=%d", limit))
	if !strings.Contains(app.banner, fmt.Sprintf("at most %d connections", limit)) {
		t.Errorf("the banner does not show the pool's bound:\n%s", app.banner)
	}

	// The sampler counts the app's connections as fast as the server answers, until the
	// refreshes are done.
	ctx, cancel := context.WithCancel(context.Background())
	var (
		most, samples int
		sampleErr     error
		sampled       = make(chan struct{})
	)
	go func() {
		defer close(sampled)
		for ctx.Err() == nil {
			n, err := connections(ctx)
			if err != nil {
				if ctx.Err() == nil {
					sampleErr = err
				}
				return
			}
			samples++
			most = max(most, n)
		}
	}()

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrent}}
	defer hc.CloseIdleConnections()
	var (
		mu       sync.Mutex
		statuses = map[string]int{}
	)
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for i := 0; i < concurrent; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", app.base+"/auth/session/refresh", nil)
				req.Header.Set("Authorization", "Bearer "+randomRefreshToken())
				res, err := hc.Do(req)
				got := ""
				if err != nil {
					got = "transport error: " + err.Error()
				} else {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					got = fmt.Sprintf("%d %s", res.StatusCode, strings.TrimSpace(string(b)))
					if res.StatusCode == 503 && res.Header.Get("Retry-After") != "" {
						got += " with Retry-After"
					}
				}
				mu.Lock()
				statuses[got]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	cancel()
	<-sampled
	if sampleErr != nil {
		t.Fatalf("counting the app's connections: %v", sampleErr)
	}
	// Every refresh gets its 401. The engine may also shed a request that waited too long for
	// the store (503 with Retry-After, its documented overload answer) rather than queue it:
	// that is allowed (how many depends on the machine's load), anything else is not.
	unauthorised, shed := `401 {"message":"unauthorised"}`, `503 {"message":"session store unavailable"} with Retry-After`
	t.Logf("refreshes: %v", statuses)
	if statuses[unauthorised]+statuses[shed] != concurrent*rounds || statuses[unauthorised] == 0 {
		t.Errorf("refreshes with unknown tokens: %v; want %s (or %s)\n%s", statuses, unauthorised, shed, app.logTail())
	}
	if strings.Contains(app.stderr.String(), "session store failure") {
		t.Errorf("the database failed under the burst:\n%s", app.logTail())
	}
	t.Logf("%d samples, at most %d connections held by the app", samples, most)
	if most > limit {
		t.Errorf("the app held %d database connections with DB_MAX_OPEN_CONNS=%d", most, limit)
	}
	if most == 0 || samples == 0 {
		t.Errorf("no connection of the app was ever seen (%d samples): the test counts the wrong thing", samples)
	}
}

// Fleet starts two instances of the example on one database (a PostgreSQL schema, then a
// MariaDB database) with the same API_ORIGIN (https) and RATCHET_KEK, as behind a load
// balancer: each accepts the other's access tokens, refreshes the other's refresh tokens and
// sees the other's sign-out; the cookies are Secure with the __Host-/__Secure- prefixes.
func Fleet(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		fleet(t, testdb.NewPostgres(t, "demo_fleet_").URL)
	})
	t.Run("mariadb", func(t *testing.T) {
		fleet(t, testdb.NewMariaDB(t, "demo_fleet_").URL)
	})
}

func fleet(t *testing.T, dbURL string) {
	_, kek := core.NewKEK()
	const apiOrigin = "https://api.ratchet.test"
	env := []string{"DATABASE_URL=" + dbURL, "RATCHET_KEK=" + kek, "API_ORIGIN=" + apiOrigin}
	// Started at once, as a deployment does: one migration, one signing key.
	apps := startApps(t, 2, env...)
	one, two := apps[0], apps[1]
	for _, r := range apps {
		if !strings.Contains(r.banner, apiOrigin) {
			t.Errorf("the banner does not show API_ORIGIN:\n%s", r.banner)
		}
	}

	// Header mode: tokens issued by one work on the other, in both directions.
	a1 := newAgent(t, one.base)
	in := a1.do("POST", "/auth/signin", `{"email":"alice@example.com","password":"demo-password"}`)
	expect(t, "sign-in on instance 1", in, 200, "")
	access, refresh := in.header.Get("st-access-token"), in.header.Get("st-refresh-token")
	if access == "" || refresh == "" {
		t.Fatal("header-mode sign-in sent no tokens")
	}
	a2 := newAgent(t, two.base)
	a2.bearer = access
	expect(t, "instance 2 verifies instance 1's access token", a2.do("GET", "/api/me", ""), 200, "")
	expect(t, "instance 2, strict", a2.do("GET", "/api/me/strict", ""), 200, "")
	a2.bearer = refresh
	r := a2.do("POST", "/auth/session/refresh", "")
	expect(t, "instance 2 refreshes instance 1's refresh token", r, 200, "")
	access, refresh = r.header.Get("st-access-token"), r.header.Get("st-refresh-token")
	if access == "" || refresh == "" {
		t.Fatal("the refresh on instance 2 sent no tokens")
	}
	a1.bearer = access
	expect(t, "instance 1 verifies instance 2's access token", a1.do("GET", "/api/me/strict", ""), 200, "")
	a1.bearer = refresh
	r = a1.do("POST", "/auth/session/refresh", "")
	expect(t, "instance 1 refreshes instance 2's refresh token", r, 200, "")
	access = r.header.Get("st-access-token")
	a2.bearer = access
	expect(t, "instance 2 after the refresh on 1", a2.do("GET", "/api/me", ""), 200, "")

	// Cookie mode: Secure, prefixed cookies; the browser's jar works against either instance.
	c1 := newAgent(t, one.base)
	in = c1.do("POST", "/auth/signin", `{"email":"bob@example.com","password":"demo-password"}`, "st-auth-mode", "cookie")
	expect(t, "cookie-mode sign-in on instance 1", in, 200, "")
	if !checkTokenCookies(t, "cookie-mode sign-in with API_ORIGIN="+apiOrigin, in.header) {
		t.Errorf("API_ORIGIN=%s: the token cookies are not Secure", apiOrigin)
	}
	if !c1.jar.has("__Host-sAccessToken") || !c1.jar.has("__Secure-sRefreshToken") {
		t.Fatalf("API_ORIGIN=%s: the cookies are not __Host-sAccessToken and __Secure-sRefreshToken", apiOrigin)
	}
	c2 := *c1 // the same jar, on the other instance
	c2.base = two.base
	expect(t, "instance 2 with instance 1's cookies", c2.do("GET", "/api/me/strict", ""), 200, "")
	r = c2.do("POST", "/auth/session/refresh", "", "rid", "session")
	expect(t, "cookie refresh on instance 2", r, 200, "")
	checkTokenCookies(t, "cookie refresh on instance 2", r.header)
	expect(t, "instance 1 after the cookie refresh on 2", c1.do("GET", "/api/me/strict", ""), 200, "")

	// A sign-out on one instance ends the session on the other.
	bobAccess := c1.jar.value("__Host-sAccessToken")
	expect(t, "bob signs out on instance 2", c2.do("POST", "/auth/signout", "", "rid", "session"), 200, `{"status":"OK"}`)
	b1 := newAgent(t, one.base)
	b1.bearer = bobAccess
	expect(t, "bob's access token on instance 1 after the sign-out on 2, strict", b1.do("GET", "/api/me/strict", ""), 401, `{"message":"unauthorised"}`)
	a1.bearer = access
	expect(t, "alice signs out on instance 1", a1.do("POST", "/auth/signout", ""), 200, `{"status":"OK"}`)
	expect(t, "alice's access token on instance 2 after the sign-out on 1, strict", a2.do("GET", "/api/me/strict", ""), 401, `{"message":"unauthorised"}`)

	adminRevokesAcrossInstances(t, one.base, two.base)
}

// adminRevokesAcrossInstances: the admin, on instance 1, revokes alice's session, which she
// uses on instance 2. Her next refresh and strict request there fail at once, and her plain
// (stateless) route within the revocation feed's poll interval: polled for here with a
// generous deadline, never timed.
func adminRevokesAcrossInstances(t *testing.T, oneBase, twoBase string) {
	alice := newAgent(t, twoBase)
	in := alice.do("POST", "/auth/signin", `{"email":"alice@example.com","password":"demo-password"}`)
	expect(t, "alice signs in on instance 2", in, 200, "")
	alice.bearer = in.header.Get("st-access-token")
	refresh := in.header.Get("st-refresh-token")
	expect(t, "alice on instance 2", alice.do("GET", "/api/me", ""), 200, "")

	admin := newAgent(t, oneBase)
	in = admin.do("POST", "/auth/signin", `{"email":"admin@example.com","password":"demo-password"}`)
	expect(t, "the admin signs in on instance 1", in, 200, "")
	admin.bearer = in.header.Get("st-access-token")
	expect(t, "alice is not an admin", alice.do("GET", "/auth/admin/api/sessions?userId=user-alice", "", "rid", "anti-csrf"), 403, `{"message":"forbidden"}`)
	list := admin.do("GET", "/auth/admin/api/sessions?userId=user-alice", "", "rid", "anti-csrf")
	expect(t, "the admin lists alice's sessions", list, 200, "")
	sessions, _ := list.json(t)["sessions"].([]any)
	if len(sessions) != 1 {
		t.Fatalf("alice's live sessions: %s; want exactly the one on instance 2", list.body)
	}
	handle, _ := sessions[0].(map[string]any)["sessionHandle"].(string)
	rv := admin.do("POST", "/auth/admin/api/sessions/revoke", `{"sessionHandle":"`+handle+`"}`, "rid", "anti-csrf")
	expect(t, "the admin revokes it on instance 1", rv, 200, `{"revoked":true,"status":"OK"}`)

	expect(t, "alice on instance 2, strict, after the revocation", alice.do("GET", "/api/me/strict", ""), 401, `{"message":"unauthorised"}`)
	deadline := time.Now().Add(30 * time.Second)
	for alice.do("GET", "/api/me", "").status != 401 {
		if time.Now().After(deadline) {
			t.Fatal("instance 2 still accepts alice's revoked session on a plain route after 30 s (poll interval 2 s)")
		}
		time.Sleep(50 * time.Millisecond)
	}
	alice.bearer = refresh
	expect(t, "alice cannot refresh on instance 2", alice.do("POST", "/auth/session/refresh", ""), 401, "")
}

// Timeouts starts the example with short server timeouts and checks that the server ends
// every connection a client tries to hold: headers trickled, a body trickled or never sent,
// an idle keep-alive connection, a connection that never sends a byte. It asserts that the
// server disconnects, never how long that took; a connection still open after a minute is a
// failure (the timeouts given are one or two seconds).
func Timeouts(t *testing.T) {
	app := startApp(t, "READ_HEADER_TIMEOUT=1s", "READ_TIMEOUT=2s", "WRITE_TIMEOUT=5s", "IDLE_TIMEOUT=1s")
	host := strings.TrimPrefix(app.base, "http://")
	signInHead := "POST /auth/signin HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
	for _, c := range []struct {
		name    string
		first   string // sent at once
		trickle string // then sent byte by byte, every 100 ms, until the server hangs up ("" sends nothing)
		request bool   // first is a whole request: read its response, then wait
	}{
		{name: "headers trickled (slowloris)", first: "GET / HTTP/1.1\r\nHost: " + host + "\r\n", trickle: strings.Repeat("X-Slow: y\r\n", 1000)},
		{name: "sign-in body trickled", first: signInHead + `{"email":"`, trickle: strings.Repeat("a", 4000)},
		{name: "sign-in body never sent", first: signInHead + `{"email":"`},
		{name: "idle keep-alive connection", first: "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n", request: true},
		{name: "connection that sends nothing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if err := conn.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(conn, c.first); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			defer close(done)
			if c.trickle != "" {
				go func() {
					tick := time.NewTicker(100 * time.Millisecond)
					defer tick.Stop()
					for i := 0; i < len(c.trickle); i++ {
						select {
						case <-done:
							return
						case <-tick.C:
						}
						if _, err := conn.Write([]byte{c.trickle[i]}); err != nil {
							return // the server hung up
						}
					}
				}()
			}
			br := bufio.NewReader(conn)
			if c.request {
				res, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("the first request: %v", err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || res.Close {
					t.Fatalf("the first request: status %d, close %v; want 200 on a keep-alive connection", res.StatusCode, res.Close)
				}
			}
			// Whatever the server answers (a 400 or 408, or nothing), it must then hang up.
			_, err = io.Copy(io.Discard, br)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server kept the connection open for a minute")
			}
		})
	}
}
