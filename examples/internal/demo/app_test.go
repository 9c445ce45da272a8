package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ratchetauth/ratchet/core"
)

// The signing keys live in the database, sealed under RATCHET_KEK or, for a local SQLite file
// without it, under a development KEK created next to the file, so an access token stays valid
// across a restart. If that development KEK file is lost, the app falls back to in-memory keys:
// the old access token gets "try refresh token" (the client refreshes) and the session survives.
func TestSigningKeysAcrossRestart(t *testing.T) {
	_, kek := core.NewKEK()
	for _, tc := range []struct {
		name, kek  string
		loseDevKEK bool
		survives   bool
		keysPrefix string
	}{
		{"development KEK", "", false, true, "in the database, sealed under the DEVELOPMENT-ONLY key"},
		{"RATCHET_KEK", kek, false, true, "in the database, sealed under RATCHET_KEK"},
		{"development KEK lost", "", true, false, "in memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			file := filepath.Join(t.TempDir(), "k.db")
			s, err := Load(env("DATABASE_URL", "sqlite://"+file, "RATCHET_KEK", tc.kek))
			if err != nil {
				t.Fatal(err)
			}
			first, err := SetupWith(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(first.Keys, "in the database") {
				t.Fatalf("first start: Keys = %q", first.Keys)
			}
			tok, err := first.Engine.IssueTokens(ctx, "user-alice", core.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}
			if tc.loseDevKEK {
				if err := os.Remove(file + ".kek"); err != nil {
					t.Fatal(err)
				}
			} else if tc.kek == "" {
				st, err := os.Stat(file + ".kek")
				if err != nil || st.Mode().Perm() != 0o600 {
					t.Fatalf("development KEK file: %v, mode %v", err, st)
				}
			}

			second, err := SetupWith(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			defer second.Close()
			if !strings.HasPrefix(second.Keys, tc.keysPrefix) {
				t.Fatalf("second start: Keys = %q, want prefix %q", second.Keys, tc.keysPrefix)
			}
			_, err = second.Engine.VerifyAccessToken(ctx, tok.AccessToken, core.VerifyOptions{CheckDatabase: true})
			if tc.survives && err != nil {
				t.Fatalf("access token after a restart: %v", err)
			}
			if !tc.survives && !errors.Is(err, core.ErrTryRefresh) {
				t.Fatalf("access token after a restart: %v, want ErrTryRefresh", err)
			}
			if _, err := second.Engine.RefreshTokens(ctx, tok.RefreshToken, core.RefreshMeta{}); err != nil {
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
