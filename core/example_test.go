package core_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// The programmatic API: issue a session, verify its access token, rotate the refresh token,
// and watch a replayed old refresh token trip the ratchet.
func Example() {
	ctx := context.Background()
	engine, err := core.New(core.Config{Store: memory.New(), RotationGrace: 1})
	if err != nil {
		panic(err)
	}
	first, _ := engine.IssueTokens(ctx, "user-42", core.CreateOptions{Payload: map[string]any{"role": "admin"}})

	s, _ := engine.VerifyAccessToken(ctx, first.AccessToken, core.VerifyOptions{})
	fmt.Println("verified:", s.UserID(), s.Claim("role"))

	second, _ := engine.RefreshTokens(ctx, first.RefreshToken, core.RefreshMeta{})
	fmt.Println("rotated:", second.RefreshToken != first.RefreshToken)

	_, err = engine.RefreshTokens(ctx, first.RefreshToken, core.RefreshMeta{}) // replay after the 1ns grace
	fmt.Println("replay is theft:", errors.Is(err, core.ErrTokenTheft))

	_, err = engine.RefreshTokens(ctx, second.RefreshToken, core.RefreshMeta{})
	fmt.Println("session revoked:", errors.Is(err, core.ErrUnauthorised))
	// Output:
	// verified: user-42 admin
	// rotated: true
	// replay is theft: true
	// session revoked: true
}
