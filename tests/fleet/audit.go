package main

import (
	"context"
	"encoding/json"
	"time"
)

// audit runs after the load of a scenario has stopped. For every browser that signed out, no
// token its session ever held may work again: each refresh token is refused, the newest
// access tokens are refused by the strict route and by a data write, and once they have
// expired by the stateless route too. Every other browser's session must still be alive (a
// strict check, refreshing first if needed), and hold every note it was told was saved.
func (f *Fleet) audit(ctx context.Context, browsers []*Browser) {
	var out, in []*Browser
	latest := time.Time{}
	for _, b := range browsers {
		b.mu.Lock()
		if b.signedOut {
			out = append(out, b)
			latest = later(latest, b.lastIssue)
		} else if b.fatal == nil {
			in = append(in, b)
		}
		b.mu.Unlock()
	}
	parallel(ctx, out, 8, f.auditSignedOut)
	parallel(ctx, in, 8, f.auditAlive)
	if len(out) == 0 {
		return
	}
	// Every access token issued so far has expired one access TTL after its issue (plus the
	// one second the contract allows).
	sleepUntil(ctx, time.Until(latest.Add(f.Cfg.AccessTTL+1500*time.Millisecond)))
	parallel(ctx, out, 8, func(ctx context.Context, b *Browser) {
		b.mu.Lock()
		access, j := newest(b.seenAccess, 3), b.jar
		b.mu.Unlock()
		for _, a := range access {
			j.Access = a
			f.mustRefuse(ctx, b, "GET", "/api/me", nil, j, false, "me (expired)")
		}
	})
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// newest returns the last n distinct values of s, newest first.
func newest(s []string, n int) []string {
	var out []string
	seen := map[string]bool{}
	for i := len(s) - 1; i >= 0 && len(out) < n; i-- {
		if !seen[s[i]] {
			seen[s[i]] = true
			out = append(out, s[i])
		}
	}
	return out
}

func (f *Fleet) auditSignedOut(ctx context.Context, b *Browser) {
	b.mu.Lock()
	refresh, access, j := newest(b.seenRefr, 50), newest(b.seenAccess, 3), b.jar
	b.mu.Unlock()
	for _, r := range refresh {
		j.Refresh = r
		f.mustRefuse(ctx, b, "POST", "/auth/session/refresh", nil, j, true, "refresh")
	}
	note, _ := json.Marshal(map[string]string{"text": "after sign-out"})
	for _, a := range access {
		j.Access = a
		f.mustRefuse(ctx, b, "GET", "/api/me/strict", nil, j, false, "me/strict")
		f.mustRefuse(ctx, b, "POST", "/api/notes", note, j, false, "notes")
	}
}

// mustRefuse sends a request with a signed-out session's token: success is a resurrection. A
// 5xx or a network error is retried (on the next instance); never a definite answer counts
// as unverified.
func (f *Fleet) mustRefuse(ctx context.Context, b *Browser, method, path string, body []byte, j Jar, refresh bool, what string) {
	for attempt := 0; attempt < 4 && ctx.Err() == nil; attempt++ {
		r := f.HTTP.exchange(ctx, method, path, body, j, refresh)
		switch {
		case r.err == nil && r.status == 200:
			b.st.add(func(s *Stats) { s.Resurrections++; s.ResurrectWhere[what]++ })
			return
		case r.err == nil && r.status < 500:
			return // refused
		}
		sleepCtx(ctx, backoff(attempt))
	}
	b.st.add(func(s *Stats) { s.Unverified++ })
}

func (f *Fleet) auditAlive(ctx context.Context, b *Browser) {
	var o outcome
	for attempt := 0; attempt < 4 && ctx.Err() == nil; attempt++ {
		if o, _ = b.call(ctx, routeStrict, true); o != outFailed {
			break
		}
		sleepCtx(ctx, backoff(attempt))
	}
	if o != outOK {
		if o != outEnded {
			b.st.add(func(s *Stats) { s.Unverified++ })
		}
		return
	}
	b.mu.Lock()
	acked := b.notesAcked
	b.mu.Unlock()
	for attempt := 0; attempt < 4 && ctx.Err() == nil; attempt++ {
		o, r := b.call(ctx, routeNotesGet, true)
		if o == outEnded {
			return
		}
		if o != outOK {
			sleepCtx(ctx, backoff(attempt))
			continue
		}
		var v struct {
			Notes []any `json:"notes"`
		}
		if json.Unmarshal(r.body, &v) != nil {
			break
		}
		b.st.add(func(s *Stats) {
			s.NotesAcked += acked
			if len(v.Notes) < acked {
				s.NotesLost += acked - len(v.Notes)
			}
		})
		return
	}
	b.st.add(func(s *Stats) { s.Unverified++ })
}
