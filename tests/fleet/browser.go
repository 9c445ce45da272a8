package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Mode is how the tabs of one browser coordinate their refreshes.
type Mode string

const (
	// Uncoordinated tabs share the token jar but nothing else: each tab that gets "try refresh
	// token" refreshes at once with whatever refresh token the jar holds at that moment, and
	// stores what it gets back (the last response to arrive wins, as in a cookie store).
	Uncoordinated Mode = "uncoordinated"
	// SDK tabs serialise refreshes with a per-browser lock, as supertokens-website does with
	// its cross-tab lock: with the lock held, a tab whose token was already replaced retries
	// with the new one instead of refreshing again.
	SDK Mode = "sdk"
)

// maxRefreshes bounds the refreshes one request may trigger before the client gives up (the
// SDK allows 10; a fleet that needs more than a few is broken anyway).
const maxRefreshes = 5

// errSignInRefused ends a scenario: the demo users always sign in, so a refusal is the fleet's
// (or the app's) bug, not load.
var errSignInRefused = errors.New("sign-in refused")

// Browser is one simulated user agent: several tabs sharing one token jar.
type Browser struct {
	ID       int
	Email    string
	password string
	Mode     Mode
	h        *HTTP
	st       *Stats

	mu         sync.Mutex
	jar        Jar
	seenAccess []string // every access token of the current session, oldest first
	seenRefr   []string // every refresh token of the current session
	lastIssue  time.Time
	signingOut bool      // a sign-out was started: 401s from now on were asked for
	signedOut  bool      // the server confirmed the sign-out
	outAt      time.Time // when it did
	notesAcked int       // POST /api/notes answered 200 in the current session

	refreshMu sync.Mutex // the SDK's cross-tab lock (Mode SDK only)
	signInMu  sync.Mutex
	fatal     error
}

func (b *Browser) snapshot() Jar {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.jar
}

// store keeps the tokens a response issued for session generation gen. Late responses for an
// older generation are dropped; in SDK mode, and in uncoordinated mode, the last one to arrive
// wins. Every token is remembered for the sign-out audit.
func (b *Browser) store(gen int, r reply) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jar.Gen != gen {
		return
	}
	if r.access != nil && *r.access != "" {
		b.seenAccess = append(b.seenAccess, *r.access)
		b.lastIssue = time.Now()
	}
	if r.refresh != nil && *r.refresh != "" {
		b.seenRefr = append(b.seenRefr, *r.refresh)
	}
	if b.signedOut {
		return // the browser cleared its tokens at sign-out; remembered for the audit only
	}
	if r.access != nil {
		b.jar.Access = *r.access
		if r.accessName != "" {
			b.jar.AccessName = r.accessName
		}
	}
	if r.refresh != nil {
		b.jar.Refresh = *r.refresh
		if r.refreshName != "" {
			b.jar.RefreshName = r.refreshName
		}
	}
}

// ensureSession returns the jar, signing in first if the browser has no session. It returns
// false once the browser has signed out (or is signing out), or when ctx ends.
func (b *Browser) ensureSession(ctx context.Context) (Jar, bool) {
	for attempt := 0; attempt < 30 && ctx.Err() == nil; attempt++ {
		// While a sign-out is in flight the tabs go on with the session's tokens (that is the
		// race), but nobody signs in again.
		b.mu.Lock()
		j, out, outing := b.jar, b.signedOut || b.fatal != nil, b.signingOut
		b.mu.Unlock()
		if out {
			return Jar{}, false
		}
		if j.Access != "" && j.Refresh != "" {
			return j, true
		}
		if outing {
			return Jar{}, false
		}
		if !b.signIn(ctx) {
			sleepCtx(ctx, backoff(attempt))
		}
	}
	return Jar{}, false
}

// signIn signs in once (one tab does it; the others wait and then find the jar full).
func (b *Browser) signIn(ctx context.Context) bool {
	b.signInMu.Lock()
	defer b.signInMu.Unlock()
	b.mu.Lock()
	if b.jar.Access != "" || b.signingOut || b.signedOut {
		b.mu.Unlock()
		return true
	}
	cookie := b.jar.Cookie
	b.mu.Unlock()
	r, err := b.h.signIn(ctx, b.Email, b.password, cookie)
	b.st.record(ctx, routeSignIn, r)
	if err != nil {
		b.mu.Lock()
		b.fatal = fmt.Errorf("browser %d: %w: %v", b.ID, errSignInRefused, err)
		b.mu.Unlock()
		return false
	}
	if !r.ok() || r.access == nil || r.refresh == nil || *r.access == "" || *r.refresh == "" {
		return false
	}
	b.mu.Lock()
	b.jar = Jar{Gen: b.jar.Gen + 1, Cookie: cookie, Access: *r.access, Refresh: *r.refresh,
		AccessName: r.accessName, RefreshName: r.refreshName}
	b.seenAccess, b.seenRefr = []string{*r.access}, []string{*r.refresh}
	b.lastIssue = time.Now()
	b.notesAcked = 0
	b.mu.Unlock()
	return true
}

// outcome of one logical request.
type outcome int

const (
	outOK      outcome = iota
	outFailed          // 5xx, network error, other status: the app shows an error, the session lives
	outEnded           // the session ended (unexpectedly, or after a sign-out)
	outLoop            // still "try refresh token" after maxRefreshes refreshes
	outStopped         // the browser signed out or the scenario ended
)

// call performs one logical request the way the frontend SDK would: on "try refresh token" it
// refreshes (by the browser's Mode) and retries. audit makes an unexpected end count as a lost
// session rather than a logout (the audit is the first to notice it).
func (b *Browser) call(ctx context.Context, route string, audit bool) (outcome, reply) {
	for attempt := 0; ; attempt++ {
		j, ok := b.ensureSession(ctx)
		if !ok {
			return outStopped, reply{}
		}
		sent := time.Now()
		r := b.send(ctx, route, j)
		b.st.record(ctx, route, r)
		switch {
		case r.err != nil || r.status >= 500:
			return outFailed, r
		case r.status == 200:
			if route != routeMe { // the stateless route may serve a signed-out token until it expires
				b.afterSignOut(sent, route)
			}
			if route == routeNotes {
				b.mu.Lock()
				if b.jar.Gen == j.Gen {
					b.notesAcked++
				}
				b.mu.Unlock()
			}
			return outOK, r
		case r.status == 401 && r.msg == msgTryRefresh:
			if attempt >= maxRefreshes {
				b.st.add(func(s *Stats) { s.RefreshLoops++ })
				return outLoop, r
			}
			if o := b.refresh(ctx, j, audit); o != outOK {
				return o, r
			}
		case r.status == 401:
			b.ended(j.Gen, route, r.msg, audit)
			return outEnded, r
		default:
			return outFailed, r
		}
	}
}

var noteSeq struct {
	sync.Mutex
	n int
}

func (b *Browser) send(ctx context.Context, route string, j Jar) reply {
	switch route {
	case routeMe:
		return b.h.exchange(ctx, "GET", "/api/me", nil, j, false)
	case routeStrict:
		return b.h.exchange(ctx, "GET", "/api/me/strict", nil, j, false)
	case routeNotesGet:
		return b.h.exchange(ctx, "GET", "/api/notes", nil, j, false)
	case routeNotes:
		noteSeq.Lock()
		noteSeq.n++
		n := noteSeq.n
		noteSeq.Unlock()
		body, _ := json.Marshal(map[string]string{"text": fmt.Sprintf("note %d", n)})
		return b.h.exchange(ctx, "POST", "/api/notes", body, j, false)
	case routeSignOut:
		return b.h.exchange(ctx, "POST", "/auth/signout", nil, j, false)
	}
	panic("unknown route " + route)
}

// refresh runs after request j got "try refresh token". It returns outOK when the caller
// should retry with the jar's (possibly new) tokens.
func (b *Browser) refresh(ctx context.Context, j Jar, audit bool) outcome {
	if b.Mode == SDK {
		// The cross-tab lock. With it held, re-read the jar: if another tab refreshed since
		// this request was sent, retry with its tokens instead of refreshing again.
		b.refreshMu.Lock()
		defer b.refreshMu.Unlock()
		cur := b.snapshot()
		if cur.Gen != j.Gen || cur.Access != j.Access {
			return outOK
		}
		return b.doRefresh(ctx, cur, audit)
	}
	// Uncoordinated: refresh now with whatever the jar holds.
	cur := b.snapshot()
	if cur.Gen != j.Gen {
		return outOK // the session was replaced meanwhile
	}
	return b.doRefresh(ctx, cur, audit)
}

func (b *Browser) doRefresh(ctx context.Context, cur Jar, audit bool) outcome {
	if cur.Refresh == "" {
		return outStopped
	}
	sent := time.Now()
	r := b.h.exchange(ctx, "POST", "/auth/session/refresh", nil, cur, true)
	b.st.record(ctx, routeRefresh, r)
	switch {
	case r.ok():
		b.afterSignOut(sent, routeRefresh)
		b.store(cur.Gen, r)
		return outOK
	case r.err == nil && r.status == 401:
		b.ended(cur.Gen, routeRefresh, r.msg, audit)
		return outEnded
	default:
		return outFailed // the tokens are kept; a later request refreshes again
	}
}

// afterSignOut counts a resurrection when a request sent after the server confirmed the
// browser's sign-out succeeded (a tab that was between its check and its send).
func (b *Browser) afterSignOut(sent time.Time, route string) {
	b.mu.Lock()
	late := b.signedOut && sent.After(b.outAt)
	b.mu.Unlock()
	if late {
		b.st.add(func(s *Stats) { s.Resurrections++; s.ResurrectWhere["in-flight "+route]++ })
	}
}

// ended handles a 401 other than "try refresh token" for session generation gen. Unless the
// browser asked for it (a sign-out was started), it is an unexpected logout (or, found by the
// audit, a lost session). The browser then drops its tokens, and its next request signs in.
func (b *Browser) ended(gen int, route, msg string, audit bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.jar.Gen != gen || b.jar.Access == "" || b.signingOut || b.signedOut {
		return // already handled, or asked for
	}
	if msg == "" {
		msg = "(401 without a message)"
	}
	if audit {
		b.st.add(func(s *Stats) { s.Lost++; s.LogoutWhere["audit "+route+": "+msg]++ })
	} else {
		b.st.add(func(s *Stats) { s.Logouts[msg]++; s.LogoutWhere[route+": "+msg]++ })
	}
	b.jar.Access, b.jar.Refresh = "", ""
}

// Tab is one tab's loop: requests until the deadline, the request budget runs out, or the
// browser signs out. It sleeps up to think between requests.
func (b *Browser) Tab(ctx context.Context, until time.Time, think time.Duration, budget *budget, rnd func(int64) int64) {
	for i := 0; i < 1_000_000 && time.Now().Before(until) && ctx.Err() == nil; i++ {
		if think > 0 {
			sleepCtx(ctx, time.Duration(rnd(int64(think))))
		}
		if !time.Now().Before(until) || !budget.take() {
			return
		}
		route := routeMe
		if rnd(4) == 0 {
			route = routeNotes
		}
		if o, _ := b.call(ctx, route, false); o == outStopped {
			b.mu.Lock()
			stop := b.signedOut || b.signingOut || b.fatal != nil
			b.mu.Unlock()
			if stop {
				return
			}
		}
	}
}

// SignOut signs the browser out while its tabs may still be running: the sign-out race.
// The session's tokens stay remembered for the audit. It reports whether the server
// confirmed (200, or 401: the session was already gone).
func (b *Browser) SignOut(ctx context.Context) bool {
	// Wait for a sign-in in flight (a tab replacing a session that ended): the sign-out is
	// about the session that sign-in creates, and no sign-in starts once signingOut is set.
	b.signInMu.Lock()
	b.mu.Lock()
	b.signingOut = true
	b.mu.Unlock()
	b.signInMu.Unlock()
	for attempt := 0; attempt < 8 && ctx.Err() == nil; attempt++ {
		b.mu.Lock()
		j := b.jar
		b.mu.Unlock()
		if j.Access == "" {
			// No session at this moment (it just ended): nothing to sign out of.
			b.mu.Lock()
			b.signedOut, b.outAt = true, time.Now()
			b.mu.Unlock()
			return true
		}
		r := b.send(ctx, routeSignOut, j)
		b.st.record(ctx, routeSignOut, r)
		switch {
		case r.ok() || (r.err == nil && r.status == 401 && r.msg != msgTryRefresh):
			b.mu.Lock()
			b.signedOut, b.outAt = true, time.Now()
			b.jar.Access, b.jar.Refresh = "", ""
			b.mu.Unlock()
			b.st.add(func(s *Stats) { s.SignOuts++ })
			return true
		case r.err == nil && r.status == 401: // try refresh token: refresh, then sign out
			b.refreshMu.Lock()
			cur := b.snapshot()
			if cur.Access == j.Access {
				b.doRefresh(ctx, cur, false)
			}
			b.refreshMu.Unlock()
		default:
			sleepCtx(ctx, backoff(attempt))
		}
	}
	b.mu.Lock()
	b.signingOut = false // never confirmed: the browser goes on as signed in
	b.mu.Unlock()
	b.st.add(func(s *Stats) { s.SignOutErr++ })
	return false
}

func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(attempt, 5)
	return min(d, time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// budget bounds the requests of one scenario.
type budget struct {
	mu   sync.Mutex
	left int
}

func (b *budget) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.left <= 0 {
		return false
	}
	b.left--
	return true
}
