package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// Session data and access-token payload through the engine.

// appendWriters is how many goroutines append to one session's data at once.
const appendWriters = 32

func testDataAndPayload(t *testing.T, s core.Store) {
	ctx := context.Background()
	fx := newEngine(t, s)
	tk := fx.issue(t, randUser(t, "data"), core.CreateOptions{
		Data: map[string]any{"a": 1}, Payload: map[string]any{"role": "member", "tier": 1},
	})
	h := tk.Handle
	sess := fx.verify(t, "fresh session", tk.AccessToken, false)

	d, err := sess.Data(ctx)
	if err != nil || d["a"] != float64(1) || len(d) != 1 {
		t.Fatalf("Session.Data = %v, %v; want {a:1}", d, err)
	}
	if err := sess.UpdateData(ctx, func(m map[string]any) error { m["b"] = "two"; return nil }); err != nil {
		t.Fatalf("Session.UpdateData: %v", err)
	}
	if err := fx.e.UpdateData(ctx, h, func(m map[string]any) error { delete(m, "a"); m["c"] = true; return nil }); err != nil {
		t.Fatalf("Engine.UpdateData: %v", err)
	}
	d, err = sess.Data(ctx)
	if err != nil || !sameJSON(mustMarshalJSON(t, d), []byte(`{"b":"two","c":true}`)) {
		t.Fatalf("Session.Data after two updates = %v, %v; want {b:two, c:true}", d, err)
	}
	if v := fx.row(t, h).Version; v != 3 {
		t.Errorf("Version after two data writes = %d, want 3", v)
	}
	// An error from fn aborts without writing.
	boom := errors.New("boom")
	err = sess.UpdateData(ctx, func(m map[string]any) error { m["never"] = 1; return boom })
	if !errors.Is(err, boom) {
		t.Errorf("UpdateData with a failing fn: %v, want the fn's error", err)
	}
	if rec := fx.row(t, h); rec.Version != 3 || !sameJSON(rec.Data, []byte(`{"b":"two","c":true}`)) {
		t.Errorf("row after an aborted UpdateData: version %d data %s; want unchanged", rec.Version, rec.Data)
	}

	// Engine.MergePayload: merge, delete with nil; the current access token is unchanged.
	rec, err := fx.e.MergePayload(ctx, h, map[string]any{"plan": "pro", "tier": nil})
	if err != nil {
		t.Fatalf("Engine.MergePayload: %v", err)
	}
	got, _ := json.Marshal(rec.Payload)
	if !sameJSON(got, []byte(`{"role":"member","plan":"pro"}`)) {
		t.Errorf("Engine.MergePayload returned payload %s, want role and plan", got)
	}
	if rec.Handle != h || rec.UserID == "" {
		t.Errorf("Engine.MergePayload returned session %q of %q, want %q", rec.Handle, rec.UserID, h)
	}
	if stored := fx.row(t, h); !sameJSON(stored.Payload, got) || stored.Version != 4 {
		t.Errorf("stored payload %s version %d, want %s version 4", stored.Payload, stored.Version, got)
	}
	// Session.MergePayload re-issues the access token with the merged claims.
	old := sess.AccessToken()
	if err := sess.MergePayload(ctx, map[string]any{"beta": true}); err != nil {
		t.Fatalf("Session.MergePayload: %v", err)
	}
	if sess.AccessToken() == old {
		t.Error("Session.MergePayload did not re-issue the access token")
	}
	if p := sess.Payload(); p["beta"] != true || p["plan"] != "pro" || p["role"] != "member" || p["tier"] != nil {
		t.Errorf("session payload after MergePayload = %v, want beta, plan and role, no tier", p)
	}
	re := fx.verify(t, "re-issued access token", sess.AccessToken(), true)
	if re.Claim("beta") != true || re.Claim("plan") != "pro" {
		t.Errorf("re-issued token claims beta=%v plan=%v, want true, pro", re.Claim("beta"), re.Claim("plan"))
	}
	// Protected claims are refused and change nothing.
	before := fx.row(t, h)
	if err := sess.MergePayload(ctx, map[string]any{"sub": "someone-else"}); !errors.Is(err, core.ErrProtectedClaim) {
		t.Errorf("MergePayload of sub: %v, want ErrProtectedClaim", err)
	}
	if _, err := fx.e.MergePayload(ctx, h, map[string]any{"sessionHandle": "x"}); !errors.Is(err, core.ErrProtectedClaim) {
		t.Errorf("Engine.MergePayload of sessionHandle: %v, want ErrProtectedClaim", err)
	}
	checkRecord(t, "row after refused payload merges", before, fx.row(t, h))
	// The next refresh carries the stored payload.
	t1 := fx.refresh(t, tk.RefreshToken)
	after := fx.verify(t, "refreshed access token", t1.AccessToken, true)
	if after.Claim("beta") != true || after.Claim("plan") != "pro" || after.Claim("tier") != nil {
		t.Errorf("refreshed token claims = %v, want the merged payload", after.Payload())
	}
	// Data and payload writes leave the lineage alone.
	if err := fx.e.UpdateData(ctx, h, func(m map[string]any) error { m["x"] = 1; return nil }); err != nil {
		t.Fatalf("UpdateData after refresh: %v", err)
	}
	wantLineage(t, "after a data write", fx.row(t, h), t1.RefreshToken, tk.RefreshToken)
}

func mustMarshalJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("cannot encode %v: %v", v, err)
	}
	return b
}

func testConcurrentAppends(t *testing.T, s core.Store) {
	ctx := context.Background()
	fx := newEngine(t, s)
	tk := fx.issue(t, randUser(t, "append"), core.CreateOptions{Data: map[string]any{"items": []any{}}})
	sess := fx.verify(t, "session", tk.AccessToken, false)
	errs := make([]error, appendWriters)
	testkit.Concurrently(appendWriters, func(i int) {
		item := fmt.Sprintf("item-%02d", i)
		update := func(m map[string]any) error {
			items, _ := m["items"].([]any)
			m["items"] = append(items, item)
			return nil
		}
		if i%2 == 0 {
			errs[i] = sess.UpdateData(ctx, update)
		} else {
			errs[i] = fx.e.UpdateData(ctx, tk.Handle, update)
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("append %d: %v", i, err)
		}
	}
	d, err := sess.Data(ctx)
	if err != nil {
		t.Fatalf("Data: %v", err)
	}
	items, _ := d["items"].([]any)
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprint(it))
	}
	slices.Sort(got)
	var want []string
	for i := range appendWriters {
		if errs[i] == nil {
			want = append(want, fmt.Sprintf("item-%02d", i))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("after %d concurrent appends the data holds %d items %q, want exactly the %d successful ones: lost or duplicated update",
			appendWriters, len(got), got, len(want))
	}
	if v := fx.row(t, tk.Handle).Version; v != int64(1+len(want)) {
		t.Errorf("Version after %d successful appends = %d, want %d", len(want), v, 1+len(want))
	}
}

func testRevokedSessionData(t *testing.T, s core.Store) {
	ctx := context.Background()
	fx := newEngine(t, s)
	tk := fx.issue(t, randUser(t, "gone"), core.CreateOptions{Data: map[string]any{"k": "v"}})
	sess := fx.verify(t, "session", tk.AccessToken, false)
	if _, err := fx.e.RevokeSession(ctx, tk.Handle); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	before := fx.row(t, tk.Handle)
	_, err := sess.Data(ctx)
	testkit.WantKind(t, "Session.Data of a revoked session", err, core.ErrUnauthorised)
	err = sess.UpdateData(ctx, func(m map[string]any) error { m["k"] = "resurrected"; return nil })
	testkit.WantKind(t, "Session.UpdateData of a revoked session", err, core.ErrUnauthorised)
	err = fx.e.UpdateData(ctx, tk.Handle, func(m map[string]any) error { m["k"] = "resurrected"; return nil })
	testkit.WantKind(t, "Engine.UpdateData of a revoked session", err, core.ErrUnauthorised)
	err = sess.MergePayload(ctx, map[string]any{"k": "resurrected"})
	testkit.WantKind(t, "Session.MergePayload of a revoked session", err, core.ErrUnauthorised)
	_, err = fx.e.MergePayload(ctx, tk.Handle, map[string]any{"k": "resurrected"})
	testkit.WantKind(t, "Engine.MergePayload of a revoked session", err, core.ErrUnauthorised)
	checkRecord(t, "revoked row after data and payload writes", before, fx.row(t, tk.Handle))
	// An unknown handle behaves like a revoked one.
	err = fx.e.UpdateData(ctx, randHandle(t), func(map[string]any) error { return nil })
	testkit.WantKind(t, "Engine.UpdateData of an unknown handle", err, core.ErrUnauthorised)
}
