package httpratchet_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// A complete app on http.ServeMux: the library routes under /auth, one protected route, and
// a client that signs in (header mode) and calls it.
func Example() {
	engine, err := core.New(core.Config{
		Store:          memory.New(),
		AllowedOrigins: []string{"https://app.example.com"},
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			if r.Email != "ada@example.com" || r.Password != "correct horse" {
				return nil, core.ErrWrongCredentials
			}
			return &core.Identity{UserID: "user-1", User: map[string]string{"id": "user-1", "email": r.Email}}, nil
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	a := httpratchet.New(engine)

	mux := http.NewServeMux()
	mux.Handle("/auth/", a.Handler()) // signin, session/refresh, signout, sessions, jwt/jwks.json
	mux.Handle("GET /api/me", a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", httpratchet.MustSession(r.Context()).UserID())
	})))
	srv := httptest.NewServer(a.CORS(mux))
	defer srv.Close()
	client := srv.Client()

	// Sign in. Without st-auth-mode the tokens come back in headers.
	resp, err := client.Post(srv.URL+"/auth/signin", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"correct horse"}`))
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	access := resp.Header.Get(core.HeaderAccessToken)
	fmt.Println("sign-in:", resp.StatusCode, string(body))

	// Call the protected route with the access token.
	req, _ := http.NewRequest("GET", srv.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err = client.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("with token:", resp.StatusCode, string(body))

	// Without a token the route answers the protocol's 401.
	resp, err = client.Get(srv.URL + "/api/me")
	if err != nil {
		panic(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println("without token:", resp.StatusCode, string(body))

	// Output:
	// sign-in: 200 {"status":"OK","user":{"email":"ada@example.com","id":"user-1"}}
	// with token: 200 hello user-1
	// without token: 401 {"message":"unauthorised"}
}
