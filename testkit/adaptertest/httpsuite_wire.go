package adaptertest

import (
	"strings"
	"testing"
)

// testWire checks the answers core owns for every adapter: the same status, content type,
// Allow header and body, byte for byte, for a wrong method on each library route and for any
// path under the base path that nothing serves. An adapter that lists routes itself, or lets
// its framework answer, fails here.
func (s *suite) testWire(t *testing.T) {
	const contentJSON = "application/json; charset=utf-8"
	t.Run("wrong_method_on_every_route", func(t *testing.T) {
		for _, rt := range s.e.Routes() {
			path := "/auth" + strings.Replace(rt.Path, "{handle}", "AAAAAAAAAAAAAAAAAAAAAA", 1)
			r := s.c.do(t, "PUT", path, nil)
			if r.Status != 405 || r.Header.Get("Content-Type") != contentJSON ||
				r.Header.Get("Allow") != strings.Join(rt.Methods, ", ") || string(r.Body) != `{"message":"method not allowed"}` {
				t.Errorf("PUT %s: %d %q Allow %q %s; want the core's 405 with Allow %q", path, r.Status,
					r.Header.Get("Content-Type"), r.Header.Get("Allow"), r.Body, strings.Join(rt.Methods, ", "))
			}
		}
	})
	t.Run("unknown_paths_under_base", func(t *testing.T) {
		for _, p := range []struct{ method, path string }{
			{"GET", "/auth/"},
			{"GET", "/auth/nope"},
			{"POST", "/auth/nope/deeper"},
			{"GET", "/auth/session"},
			{"POST", "/auth/session/refresh/again"},
			{"GET", "/auth/jwt"},
			{"DELETE", "/auth/signin/x"},
			{"GET", "/auth/SIGNIN"},
		} {
			r := s.c.do(t, p.method, p.path, nil)
			if r.Status != 404 || r.Header.Get("Content-Type") != contentJSON || string(r.Body) != `{"message":"not found"}` {
				t.Errorf("%s %s: %d %q %s; want the core's 404 {\"message\":\"not found\"}", p.method, p.path,
					r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	})
	t.Run("routes_listed_by_the_engine", func(t *testing.T) {
		// The fixture switches nothing off, so every library route is listed and served.
		want := []string{"/signin", "/session/refresh", "/signout", "/sessions", "/sessions/revoke-others", "/sessions/{handle}", "/jwt/jwks.json",
			"/admin/api/me", "/admin/api/users", "/admin/api/sessions", "/admin/api/sessions/revoke", "/admin/api/users/revoke",
			"/admin/api/revoke-all", "/admin/api/events", "/admin/api/keys", "/admin/api/keys/rotate", "/admin/api/keys/revoke",
			"/admin/api/stats", "/admin", "/admin/", "/admin/app.js", "/admin/app.css"}
		var got []string
		for _, rt := range s.e.Routes() {
			got = append(got, rt.Path)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("Engine.Routes() = %v, want %v", got, want)
		}
	})
}
