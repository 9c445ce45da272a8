package otelratchet_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/stores/memory"
	otelratchet "github.com/ratchetauth/ratchet/tracing/otel"
)

// The demo user. Without Options.RecordUserIDs none of these may appear in a span.
const (
	userID   = "user-7f3a9c"
	email    = "alice@example.com"
	password = "correct horse battery staple"
)

// rig is an engine over the memory store traced into an in-memory span recorder, with a
// fake clock.
type rig struct {
	engine *core.Engine
	clock  *core.FakeClock
	store  *faultyStore
	rec    *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
}

func newRig(t *testing.T, opts otelratchet.Options) *rig {
	t.Helper()
	r := &rig{clock: core.NewFakeClock(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), store: &faultyStore{Store: memory.New()},
		rec: tracetest.NewSpanRecorder()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.rec))
	t.Cleanup(func() { _ = r.tp.Shutdown(context.Background()) })
	if opts.TracerProvider == nil {
		opts.TracerProvider = r.tp
	}
	var err error
	r.engine, err = core.New(core.Config{
		Store:                  r.store,
		Clock:                  r.clock,
		AllowedOrigins:         []string{"http://app.example"},
		Authenticate:           authenticate,
		Observer:               otelratchet.New(opts),
		RevocationPollInterval: time.Hour,
		Logger:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
		Audit:                  core.AuditConfig{Disable: true}, // its batches are traces of their own
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.engine.Close() })
	r.rec.Reset() // the revocation poll at New
	return r
}

func authenticate(_ context.Context, r *core.SignInRequest) (*core.Identity, error) {
	if r.Email != email || r.Password != password {
		return nil, core.ErrWrongCredentials
	}
	return &core.Identity{UserID: userID, User: map[string]string{"id": userID}}, nil
}

// faultyStore is the memory store whose Get and Rotate fail while fail is set.
type faultyStore struct {
	*memory.Store
	fail atomic.Bool
}

var errDisk = errors.New("disk on fire")

func (s *faultyStore) Get(ctx context.Context, handle string) (*core.Record, error) {
	if s.fail.Load() {
		return nil, errDisk
	}
	return s.Store.Get(ctx, handle)
}

func (s *faultyStore) Rotate(ctx context.Context, handle string, r core.Rotation) (bool, error) {
	if s.fail.Load() {
		return false, errDisk
	}
	return s.Store.Rotate(ctx, handle, r)
}

// parent starts a span of the test's own, as an HTTP server instrumentation would.
func (r *rig) parent(ctx context.Context, name string) (context.Context, trace.Span) {
	return r.tp.Tracer("test").Start(ctx, name)
}

// spans returns the ended spans called name.
func (r *rig) spans(name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, s := range r.rec.Ended() {
		if s.Name() == name {
			out = append(out, s)
		}
	}
	return out
}

// one returns the one ended span called name, failing otherwise.
func (r *rig) one(t *testing.T, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	s := r.spans(name)
	if len(s) != 1 {
		t.Fatalf("%d spans %s, want 1 (spans: %s)", len(s), name, r.names())
	}
	return s[0]
}

func (r *rig) names() string {
	var n []string
	for _, s := range r.rec.Ended() {
		n = append(n, s.Name())
	}
	return strings.Join(n, ", ")
}

// childOf checks that child's parent is parent.
func childOf(t *testing.T, child, parent sdktrace.ReadOnlySpan) {
	t.Helper()
	if child.Parent().SpanID() != parent.SpanContext().SpanID() || child.SpanContext().TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("%s is not a child of %s", child.Name(), parent.Name())
	}
}

// attr returns attribute key of kvs, and whether there is one.
func attr(kvs []attribute.KeyValue, key attribute.Key) (string, bool) {
	for _, kv := range kvs {
		if kv.Key == key {
			return kv.Value.Emit(), true
		}
	}
	return "", false
}

// want checks that span has attribute key with value v.
func want(t *testing.T, s sdktrace.ReadOnlySpan, key attribute.Key, v string) {
	t.Helper()
	if got, ok := attr(s.Attributes(), key); !ok || got != v {
		t.Errorf("%s: %s = %q (present: %v), want %q", s.Name(), key, got, ok, v)
	}
}

// securityEvents returns the ratchet.security_event events of s.
func securityEvents(s sdktrace.ReadOnlySpan) []sdktrace.Event {
	var out []sdktrace.Event
	for _, e := range s.Events() {
		if e.Name == otelratchet.SecurityEventName {
			out = append(out, e)
		}
	}
	return out
}

// noSecrets fails when any attribute, of any span or span event, holds one of secrets.
func noSecrets(t *testing.T, spans []sdktrace.ReadOnlySpan, secrets ...string) {
	t.Helper()
	check := func(where string, kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			for _, s := range secrets {
				if s != "" && strings.Contains(kv.Value.Emit(), s) {
					t.Errorf("%s: attribute %s holds a secret or personal datum", where, kv.Key)
				}
			}
		}
	}
	for _, s := range spans {
		check(s.Name(), s.Attributes())
		for _, e := range s.Events() {
			check(s.Name()+"/"+e.Name, e.Attributes)
		}
		if strings.Contains(s.Status().Description, "Bearer") {
			t.Errorf("%s: status names a credential", s.Name())
		}
	}
}
