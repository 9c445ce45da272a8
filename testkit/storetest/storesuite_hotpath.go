package storetest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// R7: verifying an access token does no store I/O unless CheckDatabase is set, and then only
// reads.

// countingStore is a core.Store decorator that counts the calls made through it.
type countingStore struct {
	inner                                    core.Store
	creates, gets, updates, lists, revokeAll atomic.Int64
}

func (c *countingStore) Create(ctx context.Context, rec *core.Record) error {
	c.creates.Add(1)
	return c.inner.Create(ctx, rec)
}

func (c *countingStore) Get(ctx context.Context, handle string) (*core.Record, error) {
	c.gets.Add(1)
	return c.inner.Get(ctx, handle)
}

func (c *countingStore) Update(ctx context.Context, handle string, cond core.Cond, ch core.Change) (bool, error) {
	c.updates.Add(1)
	return c.inner.Update(ctx, handle, cond, ch)
}

func (c *countingStore) ListByUser(ctx context.Context, userID string, now time.Time) ([]*core.Record, error) {
	c.lists.Add(1)
	return c.inner.ListByUser(ctx, userID, now)
}

func (c *countingStore) RevokeByUser(ctx context.Context, userID, except string) ([]string, error) {
	c.revokeAll.Add(1)
	return c.inner.RevokeByUser(ctx, userID, except)
}

func (c *countingStore) reset() {
	for _, n := range []*atomic.Int64{&c.creates, &c.gets, &c.updates, &c.lists, &c.revokeAll} {
		n.Store(0)
	}
}

func (c *countingStore) String() string {
	return fmt.Sprintf("Create=%d Get=%d Update=%d ListByUser=%d RevokeByUser=%d",
		c.creates.Load(), c.gets.Load(), c.updates.Load(), c.lists.Load(), c.revokeAll.Load())
}

// want fails the test unless exactly gets Get calls and no other calls were counted.
func (c *countingStore) want(t *testing.T, what string, gets int64) {
	t.Helper()
	if c.gets.Load() != gets || c.creates.Load()+c.updates.Load()+c.lists.Load()+c.revokeAll.Load() != 0 {
		t.Errorf("%s: store calls %s; want Get=%d and nothing else", what, c, gets)
	}
}

// bearerRequest is a GET request carrying an access token in the Authorization header.
type bearerRequest struct{ token string }

func (r bearerRequest) Method() string { return "GET" }
func (r bearerRequest) Path() string   { return "/api/me" }
func (r bearerRequest) Header(name string) string {
	if strings.EqualFold(name, "Authorization") {
		return "Bearer " + r.token
	}
	return ""
}
func (r bearerRequest) CookieHeader() string { return "" }
func (r bearerRequest) Query() string        { return "" }
func (r bearerRequest) Body() io.Reader      { return strings.NewReader("") }
func (r bearerRequest) RemoteAddr() string   { return "192.0.2.10:4242" }

// discardResponse is a core.Response that keeps headers and ignores the body.
type discardResponse struct{ h map[string][]string }

func (r *discardResponse) Header(name string) string {
	if v := r.h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
func (r *discardResponse) SetHeader(name, value string) { r.h[name] = []string{value} }
func (r *discardResponse) AddHeader(name, value string) { r.h[name] = append(r.h[name], value) }
func (r *discardResponse) DelHeader(name string)        { delete(r.h, name) }
func (r *discardResponse) Write(int, string, []byte)    {}

func testR7Stateless(t *testing.T, s core.Store) {
	ctx := context.Background()
	cs := &countingStore{inner: s}
	fx := newEngine(t, cs)
	// A second engine over the same store and keys, without the verify cache, so the cold path
	// is measured on every call too.
	cold := newEngine(t, cs, func(c *core.Config) {
		c.Keys, c.Clock, c.DisableVerifyCache = fx.e.Config().Keys, fx.clock, true
	})
	cold.clock = fx.clock

	tk := fx.issue(t, randUser(t, "r7"), core.CreateOptions{Payload: map[string]any{"role": "admin"}})
	t1 := fx.refresh(t, tk.RefreshToken)
	cs.reset()

	for i := range 3 {
		for _, e := range []*core.Engine{fx.e, cold.e} {
			sess, err := e.VerifyAccessToken(ctx, t1.AccessToken, core.VerifyOptions{})
			if err != nil {
				t.Fatalf("Verify %d: %v", i, err)
			}
			_, _, _, _ = sess.UserID(), sess.Handle(), sess.Payload(), sess.Claim("role")
		}
	}
	cs.want(t, "6 Verify calls without CheckDatabase", 0)

	resp := &discardResponse{h: map[string][]string{}}
	for _, e := range []*core.Engine{fx.e, cold.e} {
		if _, err := e.GetSession(ctx, bearerRequest{t1.AccessToken}, resp, core.VerifyOptions{}); err != nil {
			t.Fatalf("GetSession: %v", err)
		}
	}
	cs.want(t, "2 GetSession calls without CheckDatabase", 0)

	for i := range 3 {
		fx.verify(t, fmt.Sprintf("strict verify %d", i), t1.AccessToken, true)
	}
	cold.verify(t, "strict verify without cache", t1.AccessToken, true)
	cs.want(t, "4 Verify calls with CheckDatabase", 4)
	cs.reset()
	if _, err := fx.e.GetSession(ctx, bearerRequest{t1.AccessToken}, resp, core.VerifyOptions{CheckDatabase: true}); err != nil {
		t.Fatalf("GetSession(CheckDatabase): %v", err)
	}
	cs.want(t, "GetSession with CheckDatabase", 1)

	cs.reset()
	// A verification that fails (expired token) makes no store call either.
	fx.clock.Advance(suiteAccessTTL)
	fx.verifyFails(t, "expired token", t1.AccessToken, false, core.ErrTryRefresh)
	cold.verifyFails(t, "expired token", t1.AccessToken, true, core.ErrTryRefresh)
	cs.want(t, "failed verifications", 0)
}
