package adaptertest

import (
	"net/http"
	"testing"
	"time"
)

func TestPathMatch(t *testing.T) {
	for _, c := range []struct {
		req, cookie string
		want        bool
	}{
		{"/", "/", true},
		{"/auth/session/refresh", "/", true},
		{"/auth/session/refresh", "/auth/session/refresh", true},
		{"/auth/session/refresh/x", "/auth/session/refresh", true},
		{"/auth/session/refreshx", "/auth/session/refresh", false},
		{"/auth/signin", "/auth/session/refresh", false},
		{"/auth/", "/auth/", true},
		{"/auth/x", "/auth/", true},
	} {
		if got := pathMatch(c.req, c.cookie); got != c.want {
			t.Errorf("pathMatch(%q, %q) = %v", c.req, c.cookie, got)
		}
	}
}

func TestJar(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	j := newJar()
	j.update([]*http.Cookie{
		{Name: "a", Value: "1", Path: "/"},
		{Name: "r", Value: "2", Path: "/auth/session/refresh", Expires: now.Add(time.Hour)},
	}, now)
	if got := j.header("/api/me"); got != "a=1" {
		t.Errorf("header(/api/me) = %q", got)
	}
	if got := j.header("/auth/session/refresh"); got != "r=2; a=1" {
		t.Errorf("header(refresh) = %q, want the longer path first", got)
	}
	// Expired, Max-Age<0 and empty values all delete; a different path is a different cookie.
	j.update([]*http.Cookie{{Name: "r", Value: "", Path: "/"}}, now)
	if j.get("r") != "2" {
		t.Error("clearing r on Path=/ removed the cookie on the refresh path")
	}
	j.update([]*http.Cookie{{Name: "r", Value: "x", Path: "/auth/session/refresh", Expires: time.Unix(0, 0)}}, now)
	j.update([]*http.Cookie{{Name: "a", Value: "x", Path: "/", MaxAge: -1}}, now)
	if got := j.header("/auth/session/refresh"); got != "" {
		t.Errorf("after clearing both: %q", got)
	}
}
