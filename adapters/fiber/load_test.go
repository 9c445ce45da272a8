package fiberratchet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"

	fiberratchet "github.com/ratchetauth/ratchet/adapters/fiber"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// TestConcurrentClientsKeepTheirOwnValues catches fasthttp buffer reuse. fasthttp recycles
// request buffers across requests and connections; a value the adapter handed to the core
// without copying (access token, user agent, session handle) would later read another
// request's bytes. Many clients, each with its own user, user agent and session, hammer the
// server over real HTTP; every answer must be the client's own, and afterwards what the
// store, the security events and the verify cache kept must still be each client's own.
func TestConcurrentClientsKeepTheirOwnValues(t *testing.T) {
	const clients, rounds = 24, 30

	var evMu sync.Mutex
	var events []core.SecurityEvent
	e, err := core.New(core.Config{
		Store:   memory.New(),
		Cookies: core.CookieConfig{Insecure: true},
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			id, ok := strings.CutSuffix(r.Email, "@load.test")
			if !ok || r.Password != "pw-"+id {
				return nil, core.ErrWrongCredentials
			}
			return &core.Identity{UserID: id, Payload: map[string]any{"me": id}}, nil
		},
		OnSecurityEvent: func(_ context.Context, ev core.SecurityEvent) {
			evMu.Lock()
			events = append(events, ev)
			evMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := fiberratchet.New(e)
	app := newApp()
	a.Mount(app)
	me := func(c *fiber.Ctx) error {
		s := fiberratchet.MustSession(c)
		return c.JSON(map[string]any{"userId": s.UserID(), "sessionHandle": s.Handle(), "me": s.Claim("me")})
	}
	app.Get("/api/me", a.Require, me)
	app.Get("/api/me/strict", a.RequireStoreCheck, me)
	app.Post("/api/notes", a.Require, func(c *fiber.Ctx) error {
		s := fiberratchet.MustSession(c)
		note := string(c.Body())
		err := s.UpdateData(c.UserContext(), func(d map[string]any) error {
			d["last"] = note
			return nil
		})
		if err != nil {
			return a.WriteError(c, err)
		}
		return c.SendString(note)
	})
	url := serve(t, app)

	type result struct {
		user, ua, handle, token string
	}
	results := make([]result, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("user-%02d-%s", i, strings.Repeat("x", i)) // lengths differ too
			ua := fmt.Sprintf("load-client-%02d/%s", i, strings.Repeat("y", 2*i))
			cookieMode := i%2 == 1
			hdr := []string{"User-Agent", ua}
			if cookieMode {
				hdr = append(hdr, "st-auth-mode", "cookie")
			}
			in := do(t, "POST", url+"/auth/signin", signInBody(user+"@load.test", "pw-"+user), hdr...)
			if in.Status != 200 {
				t.Errorf("client %d sign-in: %v", i, in)
				return
			}
			at, rt := in.Header.Get("St-Access-Token"), in.Header.Get("St-Refresh-Token")
			if cookieMode {
				at, rt = in.cookie("sAccessToken"), in.cookie("sRefreshToken")
			}
			auth := func() []string {
				if cookieMode {
					return []string{"User-Agent", ua, "Cookie", "sAccessToken=" + at, "rid", "session"}
				}
				return []string{"User-Agent", ua, "Authorization", "Bearer " + at}
			}
			handle := ""
			for r := range rounds {
				path := "/api/me"
				if r%3 == 0 {
					path = "/api/me/strict"
				}
				got := do(t, "GET", url+path, nil, auth()...)
				var body struct{ UserID, SessionHandle, Me string }
				if err := json.Unmarshal(got.Body, &body); err != nil || got.Status != 200 {
					t.Errorf("client %d round %d %s: %v", i, r, path, got)
					return
				}
				if handle == "" {
					handle = body.SessionHandle
				}
				if body.UserID != user || body.Me != user || body.SessionHandle != handle {
					t.Errorf("client %d round %d got someone else's session: %+v (want %s, %s)", i, r, body, user, handle)
					return
				}
				note := fmt.Sprintf("note %s %d", user, r)
				if n := do(t, "POST", url+"/api/notes", []byte(note), auth()...); n.Status != 200 || string(n.Body) != note {
					t.Errorf("client %d round %d notes: %v", i, r, n)
					return
				}
				if r%10 == 9 { // rotate now and then: new tokens must be this client's too
					var ref *reply
					if cookieMode {
						ref = do(t, "POST", url+"/auth/session/refresh", nil, "User-Agent", ua, "Cookie", "sRefreshToken="+rt, "rid", "session")
						at, rt = ref.cookie("sAccessToken"), ref.cookie("sRefreshToken")
					} else {
						ref = do(t, "POST", url+"/auth/session/refresh", nil, "User-Agent", ua, "Authorization", "Bearer "+rt)
						at, rt = ref.Header.Get("St-Access-Token"), ref.Header.Get("St-Refresh-Token")
					}
					if ref.Status != 200 || at == "" || rt == "" {
						t.Errorf("client %d round %d refresh: %v", i, r, ref)
						return
					}
				}
			}
			results[i] = result{user: user, ua: ua, handle: handle, token: at}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	ctx := context.Background()
	for i, r := range results {
		// The store kept this client's user agent, not bytes of a later request.
		infos, err := e.ListSessions(ctx, r.user)
		if err != nil || len(infos) != 1 {
			t.Fatalf("client %d: ListSessions = %v, %v", i, infos, err)
		}
		if infos[0].Handle != r.handle || infos[0].UserAgent != r.ua || infos[0].IP != "127.0.0.1" {
			t.Errorf("client %d: stored session has handle %s, UA %q, IP %q; want %s, %q", i, infos[0].Handle, infos[0].UserAgent, infos[0].IP, r.handle, r.ua)
		}
		d, err := (func() (map[string]any, error) {
			s, err := e.VerifyAccessToken(ctx, r.token, core.VerifyOptions{})
			if err != nil {
				return nil, err
			}
			if s.UserID() != r.user || s.Handle() != r.handle || s.AccessToken() != r.token {
				t.Errorf("client %d: verify cache returned %s/%s for its token", i, s.UserID(), s.Handle())
			}
			return s.Data(ctx)
		})()
		if err != nil || d["last"] != fmt.Sprintf("note %s %d", r.user, rounds-1) {
			t.Errorf("client %d: data = %v, %v", i, d, err)
		}
	}
	// Events carry values copied from requests that are long gone.
	evMu.Lock()
	defer evMu.Unlock()
	byUser := map[string]result{}
	for _, r := range results {
		byUser[r.user] = r
	}
	n := 0
	for _, ev := range events {
		r, ok := byUser[ev.UserID]
		if !ok {
			continue
		}
		n++
		if ev.UserAgent != r.ua || ev.IP != "127.0.0.1" || (ev.Handle != "" && ev.Handle != r.handle) {
			t.Errorf("event %s for %s carries UA %q, handle %q; want %q, %q", ev.Type, ev.UserID, ev.UserAgent, ev.Handle, r.ua, r.handle)
		}
	}
	if n < clients {
		t.Errorf("only %d security events for %d clients", n, clients)
	}
}
