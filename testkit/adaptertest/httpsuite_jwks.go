package adaptertest

// HTTPSuite: GET /auth/jwt/jwks.json.

import (
	"encoding/json"
	"strings"
	"testing"
)

func (s *suite) testJWKS(t *testing.T) {
	t.Run("public_keys", s.jwksPublic)
	t.Run("lists_issued_kid", s.jwksIssuedKid)
	t.Run("post_not_allowed", func(t *testing.T) {
		mustStatus(t, s.c.do(t, "POST", "/auth/jwt/jwks.json", []byte(`{}`)), 405)
	})
}

// jwks fetches the key set without any credentials.
func (s *suite) jwks(t *testing.T) []map[string]any {
	t.Helper()
	r := s.c.do(t, "GET", "/auth/jwt/jwks.json", nil)
	mustStatus(t, r, 200)
	if ct := r.get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/jwk-set+json") {
		t.Errorf("%s: Content-Type %q", r, ct)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || len(doc.Keys) == 0 {
		t.Fatalf("%s: want {\"keys\":[…]} with at least one key (%v)", r, err)
	}
	return doc.Keys
}

func (s *suite) jwksPublic(t *testing.T) {
	for i, k := range s.jwks(t) {
		for _, m := range []string{"kty", "kid", "alg"} {
			if v, _ := k[m].(string); v == "" {
				t.Errorf("key %d: missing %q", i, m)
			}
		}
		if k["use"] != "sig" {
			t.Errorf("key %d: use = %v, want sig", i, k["use"])
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "oth"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %d (%v) publishes the private member %q", i, k["kid"], private)
			}
		}
	}
}

func (s *suite) jwksIssuedKid(t *testing.T) {
	a := s.signIn(t, AliceEmail, headerMode)
	hdr := jwtPart(t, a.access, 0)
	kid, _ := hdr["kid"].(string)
	if kid == "" {
		t.Fatal("the access token has no kid")
	}
	for _, k := range s.jwks(t) {
		if k["kid"] == kid {
			if k["alg"] != hdr["alg"] {
				t.Errorf("key %s: alg %v, but the token says %v", kid, k["alg"], hdr["alg"])
			}
			return
		}
	}
	t.Errorf("the kid %q of an issued token is not in the JWKS", kid)
}
