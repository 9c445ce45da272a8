package memory_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// Example runs an engine on the in-process store: sign a user in, rotate the refresh token,
// verify strictly, list and revoke the sessions, then purge the dead rows.
func Example() {
	ctx := context.Background()
	store := memory.New()
	engine, err := core.New(core.Config{Store: store, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		panic(err)
	}

	first, err := engine.IssueTokens(ctx, "user-42", core.CreateOptions{Data: map[string]any{"theme": "dark"}})
	if err != nil {
		panic(err)
	}
	next, err := engine.RefreshTokens(ctx, first.RefreshToken, core.RefreshMeta{})
	if err != nil {
		panic(err)
	}
	sess, err := engine.VerifyAccessToken(ctx, next.AccessToken, core.VerifyOptions{CheckDatabase: true})
	if err != nil {
		panic(err)
	}
	data, err := sess.Data(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("user:", sess.UserID(), "theme:", data["theme"])

	sessions, _ := engine.ListSessions(ctx, "user-42")
	fmt.Println("live sessions:", len(sessions))

	revoked, _ := engine.RevokeAllForUser(ctx, "user-42")
	fmt.Println("revoked:", len(revoked))
	_, err = engine.RefreshTokens(ctx, next.RefreshToken, core.RefreshMeta{})
	fmt.Println("refresh after revoke is unauthorised:", errors.Is(err, core.ErrUnauthorised))

	purged, _ := engine.DeleteExpired(ctx)
	fmt.Println("purged:", purged, "left:", store.Len())
	// Output:
	// user: user-42 theme: dark
	// live sessions: 1
	// revoked: 1
	// refresh after revoke is unauthorised: true
	// purged: 1 left: 0
}
