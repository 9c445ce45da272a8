package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// Deterministic interleavings: one engine operation is paused after it read the row and just
// before its conditional write, something else happens, and then it is released. Because the
// write carries its decision in the condition (R5), the paused operation can never roll the
// row back, lose another write, or write to a row revoked in between (R6).

// gateKey marks, in a context, the operation whose first Update is paused.
type gateKey struct{}

// updateGate pauses the first Update made with its context until release is closed.
type updateGate struct {
	once    sync.Once
	reached chan struct{} // closed when the paused Update is about to run
	release chan struct{}
}

func newUpdateGate() *updateGate {
	return &updateGate{reached: make(chan struct{}), release: make(chan struct{})}
}

// gatedStore delegates to a store and pauses the first Update of a gated context.
type gatedStore struct{ core.Store }

func (g gatedStore) Update(ctx context.Context, handle string, cond core.Cond, ch core.Change) (bool, error) {
	pauseIfGated(ctx)
	return g.Store.Update(ctx, handle, cond, ch)
}

// gatedRotatorStore is gatedStore over a core.Rotator: a one-statement rotation is paused
// like an Update, so the same interleavings are played on both paths of a refresh.
type gatedRotatorStore struct{ gatedStore }

func (g gatedRotatorStore) Rotate(ctx context.Context, handle string, r core.Rotation) (bool, error) {
	pauseIfGated(ctx)
	return g.Store.(core.Rotator).Rotate(ctx, handle, r)
}

// gated wraps s so that the first write of a gated context pauses, keeping its Rotator.
func gated(s core.Store) core.Store {
	if _, ok := s.(core.Rotator); ok {
		return gatedRotatorStore{gatedStore{s}}
	}
	return gatedStore{s}
}

// pauseIfGated pauses the first write made with a gated context until it is released.
func pauseIfGated(ctx context.Context) {
	if gt, ok := ctx.Value(gateKey{}).(*updateGate); ok {
		paused := false
		gt.once.Do(func() { paused = true })
		if paused {
			close(gt.reached)
			<-gt.release
		}
	}
}

// pauseBeforeWrite starts op with a gated context, waits until it is about to write, and returns a
// function that releases it and waits for its error.
func pauseBeforeWrite(op func(ctx context.Context) error) (resume func() error) {
	gt := newUpdateGate()
	ctx := context.WithValue(context.Background(), gateKey{}, gt)
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case <-gt.reached:
	case err := <-done:
		// The operation finished without writing; hand its result back.
		return func() error { return err }
	}
	return func() error {
		close(gt.release)
		return <-done
	}
}

func testStaleRefreshCannotRollBack(t *testing.T, s core.Store) {
	fx := newEngine(t, gated(s))
	t0 := fx.issue(t, randUser(t, "stale"))
	var late *core.Tokens
	resume := pauseBeforeWrite(func(ctx context.Context) error {
		var err error
		late, err = fx.e.RefreshTokens(ctx, t0.RefreshToken, testkit.RefreshMeta)
		return err
	})
	// While the first refresh of T0 hangs before its write, the client moves on twice.
	t1 := fx.refresh(t, t0.RefreshToken)
	t2 := fx.refresh(t, t1.RefreshToken)
	err := resume()
	rec := fx.row(t, t0.Handle)
	if rec.CurrentHash == storedHash(t1.RefreshToken) {
		t.Fatal("a delayed refresh of T0 rolled the row back to T1: the rotation write is not conditioned on the current hash")
	}
	// docs/ROTATION.md, R8: T0 was superseded an instant ago, so the delayed refresh is
	// honoured with the lineage's current token, T2, and changes nothing.
	if err != nil {
		t.Fatalf("the delayed refresh of T0 (superseded inside its grace window): %v, want the current token", err)
	}
	if late.RefreshToken != t2.RefreshToken {
		t.Errorf("the delayed refresh of T0 returned T1 or another token, want the current token T2")
	}
	if rec.Revoked || rec.CurrentHash != storedHash(t2.RefreshToken) {
		t.Errorf("row after the delayed refresh: revoked %v, current is T2 %v; want live at T2",
			rec.Revoked, rec.CurrentHash == storedHash(t2.RefreshToken))
	}
	fx.wantThefts(t, "after a delayed in-window ancestor", 0)
	fx.refresh(t, t2.RefreshToken)
}

func testStaleDataWriteRetries(t *testing.T, s core.Store) {
	ctx := context.Background()
	fx := newEngine(t, gated(s))
	tk := fx.issue(t, randUser(t, "stale"), core.CreateOptions{Data: map[string]any{"a": 0}})
	runs := 0
	resume := pauseBeforeWrite(func(ctx context.Context) error {
		return fx.e.UpdateData(ctx, tk.Handle, func(m map[string]any) error {
			runs++
			m["a"] = 1
			return nil
		})
	})
	// Another request writes while the first one hangs between its read and its write.
	if err := fx.e.UpdateData(ctx, tk.Handle, func(m map[string]any) error { m["b"] = 2; return nil }); err != nil {
		t.Fatalf("UpdateData: %v", err)
	}
	if err := resume(); err != nil {
		t.Fatalf("the delayed UpdateData: %v, want success after a retry", err)
	}
	if runs != 2 {
		t.Errorf("the delayed UpdateData ran its function %d times, want 2 (its first write must fail on the version and retry)", runs)
	}
	rec := fx.row(t, tk.Handle)
	if !sameJSON(rec.Data, []byte(`{"a":1,"b":2}`)) {
		t.Errorf("data = %s, want {\"a\":1,\"b\":2}: a write was lost", rec.Data)
	}
	if rec.Version != 3 {
		t.Errorf("Version = %d, want 3", rec.Version)
	}
}

func testWriteAfterRevokeFails(t *testing.T, s core.Store) {
	ctx := context.Background()
	ops := []struct {
		name string
		op   func(fx *engineFixture, tk *core.Tokens) func(ctx context.Context) error
	}{
		{"UpdateData", func(fx *engineFixture, tk *core.Tokens) func(context.Context) error {
			return func(ctx context.Context) error {
				return fx.e.UpdateData(ctx, tk.Handle, func(m map[string]any) error { m["zombie"] = true; return nil })
			}
		}},
		{"MergePayload", func(fx *engineFixture, tk *core.Tokens) func(context.Context) error {
			return func(ctx context.Context) error {
				_, err := fx.e.MergePayload(ctx, tk.Handle, map[string]any{"zombie": true})
				return err
			}
		}},
		{"Refresh", func(fx *engineFixture, tk *core.Tokens) func(context.Context) error {
			return func(ctx context.Context) error {
				_, err := fx.e.RefreshTokens(ctx, tk.RefreshToken, testkit.RefreshMeta)
				return err
			}
		}},
	}
	fx := newEngine(t, gated(s))
	for _, o := range ops {
		tk := fx.issue(t, randUser(t, "zombie"))
		resume := pauseBeforeWrite(o.op(fx, tk))
		// Sign-out lands while the request is between its read and its write.
		if ok, err := fx.e.RevokeSession(ctx, tk.Handle); err != nil || !ok {
			t.Fatalf("%s: RevokeSession = %v, %v", o.name, ok, err)
		}
		revoked := fx.row(t, tk.Handle)
		err := resume()
		if !errors.Is(err, core.ErrUnauthorised) {
			t.Errorf("%s paused across a revoke: %v, want ErrUnauthorised", o.name, err)
		}
		checkRecord(t, o.name+" paused across a revoke: the row changed after the revoke", revoked, fx.row(t, tk.Handle))
	}
}
