package core_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	httpratchet "github.com/ratchetauth/ratchet/adapters/nethttp"
	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
)

// heldStore blocks every Get until released (a database that stopped answering), counting the
// calls that reached it and whether they carried a deadline.
type heldStore struct {
	core.Store
	gate         chan struct{}
	gets         atomic.Int64
	withDeadline atomic.Int64
}

func (s *heldStore) Get(ctx context.Context, h string) (*core.Record, error) {
	s.gets.Add(1)
	if _, ok := ctx.Deadline(); ok {
		s.withDeadline.Add(1)
	}
	select {
	case <-s.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.Get(ctx, h)
}

// Under overload a refresh either starts within Admission.MaxWait or is shed at once with 503
// and Retry-After, without touching the store; admitted work carries Admission.OpTimeout.
func TestAdmissionShedsInsteadOfQueueing(t *testing.T) {
	store := &heldStore{Store: memory.New(), gate: make(chan struct{})}
	e, err := core.New(core.Config{Store: store, Logger: discardLogger(),
		RateLimits: core.RateLimits{Disable: true},
		Admission:  core.Admission{MaxInFlight: 2, MaxWait: 20 * time.Millisecond, OpTimeout: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := e.IssueTokens(context.Background(), "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpratchet.New(e).Handler())
	defer srv.Close()
	refresh := func() *http.Response {
		req, _ := http.NewRequest("POST", srv.URL+"/auth/session/refresh", nil)
		req.Header.Set("Authorization", "Bearer "+tk.RefreshToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		res.Body.Close()
		return res
	}
	// Two refreshes take both slots and hang in the store.
	var wg sync.WaitGroup
	held := make([]*http.Response, 2)
	for i := range held {
		wg.Add(1)
		go func() { defer wg.Done(); held[i] = refresh() }()
	}
	for store.gets.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	// Every further one is shed.
	for i := range 5 {
		res := refresh()
		if res == nil || res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
			t.Fatalf("refresh %d while the store is saturated: %v, want 503 with Retry-After", i, res)
		}
	}
	if n := store.gets.Load(); n != 2 {
		t.Errorf("%d store reads: the shed requests reached the store", n)
	}
	st := e.AdmissionStats()
	if st.Shed != 5 || st.InFlight != 2 {
		t.Errorf("AdmissionStats = %+v, want 5 shed and 2 in flight", st)
	}
	close(store.gate)
	wg.Wait()
	for i, res := range held {
		if res == nil || res.StatusCode != 200 {
			t.Errorf("held refresh %d after the store answered: %v, want 200 (the same child for both)", i, res)
		}
	}
	if store.withDeadline.Load() != store.gets.Load() {
		t.Errorf("%d of %d admitted store reads carried no deadline (Admission.OpTimeout)",
			store.gets.Load()-store.withDeadline.Load(), store.gets.Load())
	}
}

// An admitted operation whose store never answers ends at Admission.OpTimeout with 503.
func TestAdmissionOpTimeout(t *testing.T) {
	store := &heldStore{Store: memory.New(), gate: make(chan struct{})}
	defer close(store.gate)
	e, err := core.New(core.Config{Store: store, Logger: discardLogger(),
		Admission: core.Admission{OpTimeout: 30 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	tk, err := e.IssueTokens(context.Background(), "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.RefreshTokens(context.Background(), tk.RefreshToken, core.RefreshMeta{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("refresh against a store that never answers: %v, want the operation's deadline", err)
	}
	if _, err := core.New(core.Config{Store: memory.New(), Admission: core.Admission{MaxWait: -1}}); !errors.Is(err, core.ErrConfig) {
		t.Fatalf("negative Admission.MaxWait: %v, want ErrConfig", err)
	}
}

type pooledStore struct{ core.Store }

func (pooledStore) PoolSize() int { return 7 }

// Admission.MaxInFlight defaults to the store's pool size when the store reports one.
func TestAdmissionDefaultsToPoolSize(t *testing.T) {
	e, err := core.New(core.Config{Store: pooledStore{memory.New()}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Config().Admission.MaxInFlight; got != 6 {
		t.Fatalf("MaxInFlight = %d, want one less than the pool size 7", got)
	}
	e, _ = core.New(core.Config{Store: memory.New(), Logger: discardLogger()})
	if got := e.Config().Admission.MaxInFlight; got != core.DefaultAdmissionMaxInFlight {
		t.Fatalf("MaxInFlight without a pool size = %d, want %d", got, core.DefaultAdmissionMaxInFlight)
	}
}
