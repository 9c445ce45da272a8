package core_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// chanNotifier delivers what the test sends; its first Listen fails, to exercise the
// engine's reconnect.
type chanNotifier struct {
	ch    chan core.Notification
	mu    sync.Mutex
	calls int
}

func (n *chanNotifier) Listen(ctx context.Context, fn func(core.Notification)) error {
	n.mu.Lock()
	n.calls++
	first := n.calls == 1
	n.mu.Unlock()
	if first {
		return errors.New("connection refused")
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case note := <-n.ch:
			fn(note)
		}
	}
}

// A revocation pushed by another instance is refused at once, without waiting for a poll
// (polling is off here), and a malformed handle list falls back to reading the feed.
func TestChangeNotifierAppliesRevocations(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	n := &chanNotifier{ch: make(chan core.Notification)}
	e, err := core.New(core.Config{Store: store, Logger: discardLogger(), RevocationPollInterval: -1, ChangeNotifier: n})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	other, err := core.New(core.Config{Store: store, Keys: e.Config().Keys, Logger: discardLogger(), RevocationPollInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := e.IssueTokens(ctx, "u1", core.CreateOptions{})
	tk2, _ := e.IssueTokens(ctx, "u2", core.CreateOptions{})
	if _, err := other.RevokeSession(ctx, tk.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err != nil {
		t.Fatalf("before any notification the stateless check cannot know: %v", err)
	}
	n.ch <- core.Notification{Kind: core.NotifyRevoked, Handles: []string{tk.Handle}} // delivered after the reconnect
	n.ch <- core.Notification{Kind: "unknown"}                                        // ignored; also a barrier
	if _, err := e.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("after the pushed revocation: %v, want unauthorised", err)
	}
	if _, err := other.RevokeSession(ctx, tk2.Handle); err != nil {
		t.Fatal(err)
	}
	n.ch <- core.Notification{Kind: core.NotifyRevoked, Handles: []string{"not a handle"}} // read the feed instead
	n.ch <- core.Notification{Kind: "unknown"}
	if _, err := e.VerifyAccessToken(ctx, tk2.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("after a notification without usable handles: %v, want unauthorised (read from the feed)", err)
	}
	done := make(chan struct{})
	go func() { _ = e.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute): // a safety net, not a timing assertion
		t.Fatal("Close did not stop the listener")
	}
}
