package main

import (
	"net/http"
	"testing"
)

func TestReadTokens(t *testing.T) {
	resp := func(h http.Header) *http.Response { return &http.Response{Header: h} }

	// Header mode.
	var r reply
	readTokens(resp(http.Header{"St-Access-Token": {"a1"}, "St-Refresh-Token": {"r1"}}), &r)
	if r.access == nil || *r.access != "a1" || r.refresh == nil || *r.refresh != "r1" {
		t.Fatalf("header mode: %+v", r)
	}

	// Cookie mode with the Secure prefixes: read by name suffix, names kept.
	r = reply{}
	readTokens(resp(http.Header{"Set-Cookie": {
		"__Host-sAccessToken=a2; Path=/; Secure; HttpOnly; SameSite=Lax",
		"__Secure-sRefreshToken=r2; Path=/auth/session/refresh; Secure; HttpOnly; SameSite=Lax",
	}}), &r)
	if r.access == nil || *r.access != "a2" || r.accessName != "__Host-sAccessToken" ||
		r.refresh == nil || *r.refresh != "r2" || r.refreshName != "__Secure-sRefreshToken" {
		t.Fatalf("cookie mode: %+v", r)
	}

	// Clearing: an expired cookie, or front-token: remove, empties the jar.
	r = reply{}
	readTokens(resp(http.Header{"Set-Cookie": {"sAccessToken=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"},
		"Front-Token": {"remove"}}), &r)
	if r.access == nil || *r.access != "" || r.refresh == nil || *r.refresh != "" {
		t.Fatalf("clearing: %+v", r)
	}

	// Nothing issued: nothing touched.
	r = reply{}
	readTokens(resp(http.Header{}), &r)
	if r.access != nil || r.refresh != nil {
		t.Fatalf("untouched: %+v", r)
	}
}
