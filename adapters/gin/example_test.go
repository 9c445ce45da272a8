package ginratchet_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/gin-gonic/gin"

	ginratchet "github.com/ratchetauth/ratchet/adapters/gin"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

func Example() {
	engine, err := core.New(core.Config{
		Store: memory.New(),
		Authenticate: func(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
			if r.Email != "ada@example.com" || r.Password != "correct horse" {
				return nil, core.ErrWrongCredentials
			}
			return &core.Identity{UserID: "ada", User: map[string]string{"email": r.Email}}, nil
		},
	})
	if err != nil {
		panic(err)
	}
	a := ginratchet.New(engine)

	router := gin.New()
	router.Use(a.CORS) // first: gin applies Use only to routes registered after it
	a.Mount(router)    // POST /auth/signin, /auth/session/refresh, /auth/signout, ...
	router.GET("/api/me", a.Require, func(c *gin.Context) {
		c.JSON(200, gin.H{"userId": ginratchet.MustSession(c).UserID()})
	})

	// A client signs in, then calls /api/me with and without its access token.
	signin := httptest.NewRequest("POST", "/auth/signin", strings.NewReader(`{"email":"ada@example.com","password":"correct horse"}`))
	signin.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, signin)
	fmt.Println("sign-in:", rec.Code, rec.Body)
	token := rec.Header().Get("st-access-token")

	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest("GET", "/api/me", nil))
	fmt.Println("without a token:", rec.Code, rec.Body)

	me := httptest.NewRequest("GET", "/api/me", nil)
	me.Header.Set("Authorization", "Bearer "+token)
	rec = httptest.NewRecorder()
	router.ServeHTTP(rec, me)
	fmt.Println("with the token:", rec.Code, rec.Body)
	// Output:
	// sign-in: 200 {"status":"OK","user":{"email":"ada@example.com"}}
	// without a token: 401 {"message":"unauthorised"}
	// with the token: 200 {"userId":"ada"}
}

// ExampleAdapter_Verify protects a route with a claim validator: a session without
// role=admin gets 403 with the failed claim, which the frontend SDK reports without
// refreshing.
func ExampleAdapter_Verify() {
	engine, err := core.New(core.Config{Store: memory.New()})
	if err != nil {
		panic(err)
	}
	a := ginratchet.New(engine)
	router := gin.New()
	admin := router.Group("/admin", a.Verify(core.VerifyOptions{
		CheckDatabase: true,
		Validators:    []core.ClaimValidator{core.HasClaim("role", "admin")},
	}))
	admin.GET("/stats", func(c *gin.Context) { c.String(200, "secret stats") })

	t, err := engine.IssueTokens(context.Background(), "bob", core.CreateOptions{Payload: map[string]any{"role": "user"}})
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest("GET", "/admin/stats", nil)
	req.Header.Set("Authorization", "Bearer "+t.AccessToken)
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)
	// Output:
	// 403 {"claimValidationErrors":[{"id":"role","reason":{"actualValue":"user","expectedValue":"admin","message":"wrong value"}}],"message":"invalid claim"}
}
