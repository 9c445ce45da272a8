package otelratchet

import (
	"context"
	"errors"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ratchetauth/ratchet/core"
)

// ScopeName is the instrumentation scope of the spans: the module's import path.
const ScopeName = "github.com/ratchetauth/ratchet/tracing/otel"

// Attribute keys of the spans and span events.
const (
	KeyOp        = attribute.Key("ratchet.op")         // the operation, a core.Op… constant
	KeyOutcome   = attribute.Key("ratchet.outcome")    // ok, rejected, shed or error
	KeyAnswer    = attribute.Key("ratchet.answer")     // for rejected: what the engine answered (e.g. "token theft detected")
	KeyEventType = attribute.Key("ratchet.event.type") // a security event's type, a core.Event… constant
	KeyReason    = attribute.Key("ratchet.event.reason")
	KeyUserID    = attribute.Key("ratchet.user_id") // only with Options.RecordUserIDs
	KeyActor     = attribute.Key("ratchet.actor")   // only with Options.RecordUserIDs
	KeySession   = attribute.Key("ratchet.session") // the session handle; only with Options.RecordUserIDs
)

// SecurityEventName is the name of the span event added for every security event.
const SecurityEventName = "ratchet.security_event"

// Outcomes, the values of ratchet.outcome.
const (
	OutcomeOK       = core.OutcomeOK       // the operation succeeded
	OutcomeRejected = core.OutcomeRejected // an answer, not a failure: a wrong password, a stolen token, a missing row
	OutcomeShed     = core.OutcomeShed     // refused by admission control (core.ErrOverloaded)
	OutcomeError    = core.OutcomeError    // a real failure: the store (core.ErrStore), an ended context, or an unexpected error
)

// Options configure New.
type Options struct {
	// TracerProvider makes the tracer. Default: the global one (otel.GetTracerProvider) at
	// the time New is called.
	TracerProvider trace.TracerProvider
	// RecordUserIDs adds the user id, the acting admin's user id and the session handle to
	// security events. Off by default: they identify a person. IP addresses, user agents and
	// tokens are never recorded.
	RecordUserIDs bool
}

// Observer traces a ratchet engine: set it as core.Config.Observer (or combine it with
// core.Observers). Safe for concurrent use.
type Observer struct {
	tracer  trace.Tracer
	userIDs bool
	ops     map[string]opSpan
	extra   sync.Map // op → opSpan, for operations a newer core adds
}

// opSpan is what a span of one operation starts with.
type opSpan struct {
	name  string
	attrs trace.SpanStartOption
}

// opNames are core's operations, whose span names and attributes New prepares.
var opNames = []string{core.OpSignIn, core.OpIssueTokens, core.OpRefresh, core.OpVerifyStrict, core.OpStoreCreate,
	core.OpStoreGet, core.OpStoreUpdate, core.OpStoreList, core.OpStoreRevoke, core.OpStoreRevokeAll, core.OpStoreExpire,
	core.OpStoreFeed, core.OpAuditAppend}

// New returns an Observer that starts a span named "ratchet.<op>" for every operation
// (ratchet.refresh, with ratchet.store.get and ratchet.store.update inside it) and adds a
// span event for every security event to the span current in its context.
func New(opts Options) *Observer {
	tp := opts.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	o := &Observer{tracer: tp.Tracer(ScopeName), userIDs: opts.RecordUserIDs, ops: map[string]opSpan{}}
	for _, op := range opNames {
		o.ops[op] = newOpSpan(op)
	}
	return o
}

func newOpSpan(op string) opSpan {
	return opSpan{name: "ratchet." + op,
		attrs: trace.WithAttributes(KeyOp.String(op))}
}

// StartOp implements core.Observer: it starts the operation's span, a child of the span in
// ctx, and returns the context carrying it. The end function records the outcome; a failure
// (outcome error) is recorded as the span's error with status Error, an answer is not.
func (o *Observer) StartOp(ctx context.Context, op string) (context.Context, func(error)) {
	s, ok := o.ops[op]
	if !ok {
		v, _ := o.extra.Load(op)
		if v == nil {
			v, _ = o.extra.LoadOrStore(op, newOpSpan(op))
		}
		s = v.(opSpan)
	}
	ctx, span := o.tracer.Start(ctx, s.name, s.attrs, trace.WithSpanKind(trace.SpanKindInternal))
	return ctx, func(err error) {
		switch out := core.Outcome(err); out {
		case OutcomeOK:
			span.SetAttributes(KeyOutcome.String(out))
		case OutcomeError:
			span.SetAttributes(KeyOutcome.String(out))
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		default:
			span.SetAttributes(KeyOutcome.String(out), KeyAnswer.String(answer(err)))
		}
		span.End()
	}
}

// Event implements core.Observer: it adds a ratchet.security_event span event with the
// event's type and reason (plus the user ids and the session handle with
// Options.RecordUserIDs) to the span in ctx. An event raised outside any span (a key
// rotation, the revocation poller) is not recorded.
func (o *Observer) Event(ctx context.Context, ev core.SecurityEvent) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 5)
	attrs = append(attrs, KeyEventType.String(ev.Type))
	if ev.Reason != "" {
		attrs = append(attrs, KeyReason.String(ev.Reason))
	}
	if o.userIDs {
		for _, kv := range []attribute.KeyValue{KeyUserID.String(ev.UserID), KeyActor.String(ev.Actor), KeySession.String(ev.Handle)} {
			if kv.Value.AsString() != "" {
				attrs = append(attrs, kv)
			}
		}
	}
	span.AddEvent(SecurityEventName, trace.WithAttributes(attrs...))
}

// answer names a rejection by its kind, never by its details (which may name a user or an
// address): "unauthorised", "token theft detected", "wrong credentials", …
func answer(err error) string {
	var kind error
	var ce *core.Error
	switch {
	case errors.As(err, &ce):
		kind = ce.Kind
	case errors.Is(err, core.ErrWrongCredentials):
		kind = core.ErrWrongCredentials
	case errors.Is(err, core.ErrSessionLimit):
		kind = core.ErrSessionLimit
	case errors.Is(err, core.ErrNotFound):
		kind = core.ErrNotFound
	default:
		return ""
	}
	return strings.TrimPrefix(kind.Error(), "ratchet: ")
}

var _ core.Observer = (*Observer)(nil)
