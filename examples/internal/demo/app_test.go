package demo

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

// Without RATCHET_KEK the signing keys are in memory: a restart refuses the old access token
// with "try refresh token" (the client refreshes) while the session itself survives.
// With it, they live in the database and the token is still valid after a restart.
func TestSigningKeysAcrossRestart(t *testing.T) {
	_, kek := core.NewKEK()
	for _, tc := range []struct {
		name, kek string
		survives  bool
	}{{"in memory", "", false}, {"in the database", kek, true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := Load(env("DATABASE_URL", "sqlite://"+filepath.Join(t.TempDir(), "k.db"), "RATCHET_KEK", tc.kek))
			if err != nil {
				t.Fatal(err)
			}
			first, err := SetupWith(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.HasPrefix(first.Keys, "in the database"); got != tc.survives {
				t.Fatalf("Keys = %q", first.Keys)
			}
			tok, err := first.Engine.Issue(ctx, "user-alice", core.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}

			second, err := SetupWith(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			_, err = second.Engine.Verify(ctx, tok.AccessToken, core.VerifyOptions{CheckDatabase: true})
			if tc.survives && err != nil {
				t.Fatalf("access token after a restart: %v", err)
			}
			if !tc.survives && !errors.Is(err, core.ErrTryRefresh) {
				t.Fatalf("access token after a restart: %v, want ErrTryRefresh", err)
			}
			if _, err := second.Engine.Refresh(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
				t.Fatalf("the session does not survive a restart: %v", err)
			}
		})
	}
}

// A database whose keys are sealed under another KEK fails at start, naming the cause.
func TestWrongKEK(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "k.db")
	_, kek1 := core.NewKEK()
	_, kek2 := core.NewKEK()
	s1, _ := Load(env("DATABASE_URL", url, "RATCHET_KEK", kek1))
	a, err := SetupWith(ctx, s1)
	if err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	s2, _ := Load(env("DATABASE_URL", url, "RATCHET_KEK", kek2))
	if a, err := SetupWith(ctx, s2); err == nil {
		_ = a.Close()
		t.Fatal("a different KEK was accepted")
	} else if !strings.Contains(err.Error(), "signing keys") {
		t.Fatalf("error %v does not say what failed", err)
	}
}
