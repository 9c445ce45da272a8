package echoratchet_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"

	echoratchet "github.com/ratchetauth/ratchet/adapters/echov5"
)

// Example signs a user in through the mounted routes, then calls a route behind Require with
// the access token the sign-in returned.
func Example() {
	engine, err := core.New(core.Config{
		Store: memory.New(),
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			if r.Email != "ada@example.com" || r.Password != "correct horse" {
				return nil, core.ErrWrongCredentials
			}
			return &core.Identity{UserID: "user-ada", User: map[string]string{"email": r.Email}}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	a := echoratchet.New(engine)

	e := echo.New()
	e.Use(a.CORS)
	a.Mount(e) // POST /auth/signin, /auth/session/refresh, /auth/signout, ...
	e.GET("/api/me", func(c *echo.Context) error {
		s := echoratchet.MustSession(c)
		return c.JSON(http.StatusOK, map[string]string{"userId": s.UserID()})
	}, a.Require)

	srv := httptest.NewServer(e)
	defer srv.Close()

	res, err := http.Post(srv.URL+"/auth/signin", "application/json",
		strings.NewReader(`{"email":"ada@example.com","password":"correct horse"}`))
	if err != nil {
		panic(err)
	}
	res.Body.Close()
	token := res.Header.Get("st-access-token")

	req, _ := http.NewRequest("GET", srv.URL+"/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, strings.TrimSpace(string(body)))

	res, err = http.Get(srv.URL + "/api/me") // no token
	if err != nil {
		panic(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(res.StatusCode, string(body))
	// Output:
	// 200 {"userId":"user-ada"}
	// 401 {"message":"unauthorised"}
}
