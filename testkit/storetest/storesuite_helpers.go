package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
)

// suiteEpoch is where every fake clock of the store suite starts: whole seconds, UTC.
var suiteEpoch = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)

// randHandle returns a random string with the exact shape of a session handle.
func randHandle(t *testing.T) string {
	t.Helper()
	return base64.RawURLEncoding.EncodeToString(testkit.RandBytes(t, 16))
}

// randHash returns a random 64-character lowercase hex string, the shape of a stored hash.
func randHash(t *testing.T) string {
	t.Helper()
	return hex.EncodeToString(testkit.RandBytes(t, 32))
}

// randUser returns a user id unique to this test run.
func randUser(t *testing.T, prefix string) string {
	t.Helper()
	return prefix + "-" + hex.EncodeToString(testkit.RandBytes(t, 6))
}

// storedHash computes what a store holds for a refresh token, as docs/ROTATION.md defines it:
// H2 = hex(SHA-256(H1)) with H1 = hex(SHA-256(token)).
func storedHash(token string) string {
	h1 := sha256.Sum256([]byte(token))
	h2 := sha256.Sum256([]byte(hex.EncodeToString(h1[:])))
	return hex.EncodeToString(h2[:])
}

// newRecord returns a fully populated, live record for userID created at created. Every time
// has whole milliseconds.
func newRecord(t *testing.T, userID string, created time.Time) *core.Record {
	t.Helper()
	return &core.Record{
		Handle:            randHandle(t),
		UserID:            userID,
		Secret:            testkit.RandBytes(t, 32),
		CurrentHash:       randHash(t),
		PreviousHash:      "",
		RotatedAt:         created,
		History:           randHash(t) + "." + strconv.FormatInt(created.Add(-time.Minute).UnixMicro(), 10),
		CreatedAt:         created,
		ExpiresAt:         created.Add(2 * time.Hour),
		LastActiveAt:      created,
		Version:           1,
		IdleTimeout:       90 * time.Minute,
		AbsoluteExpiresAt: created.Add(24 * time.Hour),
		Data:              []byte(`{"cart":["apple","pear"],"n":1}`),
		Payload:           []byte(`{"role":"member"}`),
		IP:                "203.0.113.7",
		UserAgent:         "ratchet-storetest/1.0",
	}
}

// mustCreate inserts rec or fails the test.
func mustCreate(t *testing.T, s core.Store, rec *core.Record) {
	t.Helper()
	if err := s.Create(context.Background(), rec); err != nil {
		t.Fatalf("Create(%s): %v", rec.Handle, err)
	}
}

// mustGet loads handle or fails the test.
func mustGet(t *testing.T, s core.Store, handle string) *core.Record {
	t.Helper()
	rec, err := s.Get(context.Background(), handle)
	if err != nil {
		t.Fatalf("Get(%s): %v", handle, err)
	}
	if rec == nil {
		t.Fatalf("Get(%s) returned a nil record and no error", handle)
	}
	return rec
}

// mustUpdate applies an update and fails the test unless it reports want.
func mustUpdate(t *testing.T, s core.Store, handle string, cond core.Cond, ch core.Change, want bool) {
	t.Helper()
	ok, err := s.Update(context.Background(), handle, cond, ch)
	if err != nil {
		t.Fatalf("Update(%s, %+v): %v", handle, cond, err)
	}
	if ok != want {
		t.Fatalf("Update(%s, %s, %s) = %v, want %v", handle, fmtCond(cond), fmtChange(ch), ok, want)
	}
}

func fmtCond(c core.Cond) string {
	return fmt.Sprintf("Cond{LiveAt:%s CurrentHash:%.8s Version:%d}", fmtTime(c.LiveAt), c.CurrentHash, c.Version)
}

func fmtChange(c core.Change) string {
	return fmt.Sprintf("Change{Revoke:%v CurrentHash:%.8s PreviousHash:%.8s RotatedAt:%s History:%d bytes ExpiresAt:%s LastActiveAt:%s Data:%q Payload:%q}",
		c.Revoke, c.CurrentHash, c.PreviousHash, fmtTime(c.RotatedAt), len(c.History), fmtTime(c.ExpiresAt), fmtTime(c.LastActiveAt), c.Data, c.Payload)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return t.UTC().Format("15:04:05.000")
}

// utcMillis normalises a time the way the suite compares them: UTC, whole milliseconds.
func utcMillis(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// sameJSON reports whether a and b encode the same JSON value (or, if either is not JSON,
// are byte-identical).
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(va, vb)
}

// recordDiff lists the fields in which got differs from want, using the suite's comparison
// rules (times at millisecond precision in UTC, Data and Payload as JSON values).
func recordDiff(want, got *core.Record) []string {
	var d []string
	str := func(name, w, g string) {
		if w != g {
			d = append(d, fmt.Sprintf("%s: got %q, want %q", name, g, w))
		}
	}
	tm := func(name string, w, g time.Time) {
		if !utcMillis(w).Equal(utcMillis(g)) {
			d = append(d, fmt.Sprintf("%s: got %s, want %s", name, utcMillis(g).Format(time.RFC3339Nano), utcMillis(w).Format(time.RFC3339Nano)))
		}
	}
	js := func(name string, w, g []byte) {
		if !sameJSON(w, g) {
			d = append(d, fmt.Sprintf("%s: got %s, want %s", name, g, w))
		}
	}
	str("Handle", want.Handle, got.Handle)
	str("UserID", want.UserID, got.UserID)
	if !bytes.Equal(want.Secret, got.Secret) {
		d = append(d, fmt.Sprintf("Secret: got %x, want %x", got.Secret, want.Secret))
	}
	str("CurrentHash", want.CurrentHash, got.CurrentHash)
	str("PreviousHash", want.PreviousHash, got.PreviousHash)
	str("History", want.History, got.History)
	tm("RotatedAt", want.RotatedAt, got.RotatedAt)
	tm("CreatedAt", want.CreatedAt, got.CreatedAt)
	tm("ExpiresAt", want.ExpiresAt, got.ExpiresAt)
	tm("LastActiveAt", want.LastActiveAt, got.LastActiveAt)
	if want.Revoked != got.Revoked {
		d = append(d, fmt.Sprintf("Revoked: got %v, want %v", got.Revoked, want.Revoked))
	}
	if want.IdleTimeout.Milliseconds() != got.IdleTimeout.Milliseconds() {
		d = append(d, fmt.Sprintf("IdleTimeout: got %s, want %s", got.IdleTimeout, want.IdleTimeout))
	}
	tm("AbsoluteExpiresAt", want.AbsoluteExpiresAt, got.AbsoluteExpiresAt)
	if want.Version != got.Version {
		d = append(d, fmt.Sprintf("Version: got %d, want %d", got.Version, want.Version))
	}
	js("Data", want.Data, got.Data)
	js("Payload", want.Payload, got.Payload)
	str("IP", want.IP, got.IP)
	str("UserAgent", want.UserAgent, got.UserAgent)
	return d
}

// checkRecord fails the test if the stored record differs from want.
func checkRecord(t *testing.T, what string, want, got *core.Record) {
	t.Helper()
	if d := recordDiff(want, got); len(d) > 0 {
		t.Errorf("%s: stored record differs:", what)
		for _, line := range d {
			t.Errorf("  %s", line)
		}
	}
}

// copyRecord returns a deep copy, so a test can keep an expected value while the store changes.
func copyRecord(r *core.Record) *core.Record {
	c := *r
	c.Secret = bytes.Clone(r.Secret)
	c.Data = bytes.Clone(r.Data)
	c.Payload = bytes.Clone(r.Payload)
	return &c
}
