package core_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func TestWriteErrorMapsEveryKind(t *testing.T) {
	e, err := core.New(core.Config{Store: memory.New()})
	if err != nil {
		t.Fatal(err)
	}
	a := httpratchet.New(e)
	cases := []struct {
		err    error
		status int
		body   string
		clear  bool
	}{
		{core.ErrUnauthorised, 401, `{"message":"unauthorised"}`, false},
		{fmt.Errorf("app: %w", core.ErrUnauthorised), 401, `{"message":"unauthorised"}`, false},
		{core.ErrTryRefresh, 401, `{"message":"try refresh token"}`, false},
		{&core.Error{Kind: core.ErrTokenTheft, ClearTokens: true}, 401, `{"message":"token theft detected"}`, true},
		{&core.Error{Kind: core.ErrUnauthorised, ClearTokens: true}, 401, `{"message":"unauthorised"}`, true},
		{core.ErrCSRF, 403, `{"message":"anti-csrf check failed"}`, false},
		{&core.Error{Kind: core.ErrInvalidClaim, Claims: []core.ClaimFailure{{ID: "role", Reason: "wrong value"}}}, 403,
			`{"claimValidationErrors":[{"id":"role","reason":"wrong value"}],"message":"invalid claim"}`, false},
		{&core.StoreError{Op: "get", Err: errors.New("connection refused")}, 503, `{"message":"session store unavailable"}`, false},
		{context.DeadlineExceeded, 503, `{"message":"session store unavailable"}`, false},
		{errors.New("boom"), 500, `{"message":"internal error"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.err.Error(), func(t *testing.T) {
			w := httptest.NewRecorder()
			a.WriteError(w, httptest.NewRequest("GET", "/", nil), tc.err)
			if w.Code != tc.status || w.Body.String() != tc.body {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tc.status, tc.body)
			}
			cleared := w.Header().Get("front-token") == "remove"
			if cleared != tc.clear {
				t.Errorf("cleared tokens = %v, want %v", cleared, tc.clear)
			}
			if tc.clear && len(w.Header().Values("Set-Cookie")) != 2 {
				t.Errorf("clearing must expire both cookies: %v", w.Header().Values("Set-Cookie"))
			}
		})
	}
}
