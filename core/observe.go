package core

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"
)

// Operations an Observer sees. Engine operations nest store operations: a refresh is an
// OpRefresh span holding an OpStoreRotate, or an OpStoreGet and an OpStoreUpdate.
const (
	OpSignIn         = "sign_in"       // POST {base}/signin: Authenticate and the new session
	OpIssueTokens    = "issue_tokens"  // a new session (IssueTokens, CreateSession)
	OpRefresh        = "refresh"       // a refresh-token rotation (RefreshTokens, RefreshSession)
	OpVerifyStrict   = "verify_strict" // the store check of VerifyOptions.CheckDatabase
	OpStoreCreate    = "store.create"  // Store.Create
	OpStoreGet       = "store.get"     // Store.Get
	OpStoreUpdate    = "store.update"  // Store.Update
	OpStoreRotate    = "store.rotate"  // Rotator.Rotate: a whole rotation in one statement
	OpStoreList      = "store.list_by_user"
	OpStoreRevoke    = "store.revoke_by_user"
	OpStoreRevokeAll = "store.revoke_all"
	OpStoreExpire    = "store.delete_expired"
	OpStoreFeed      = "store.revoked_since" // one poll of the revocation feed
	OpAuditAppend    = "audit.append"        // one batch written to the audit log
)

// Observer sees the engine's operations and security events, for metrics and tracing
// (modules metrics/prometheus and tracing/otel implement it). Set it in Config.Observer;
// combine several with Observers. Every method must be safe for concurrent use and cheap: it
// runs on the request path. The warm verify path (a cached access token) calls nothing.
type Observer interface {
	// StartOp is called when operation op (an Op… constant) begins. It returns the context
	// the operation continues with (a tracer's span context) and a function the engine calls
	// exactly once when the operation ends, with its error: nil on success. An error that is
	// an answer rather than a failure (a wrong password, an expired token) is passed too;
	// errors.Is tells them apart (ErrUnauthorised, ErrStore, …).
	StartOp(ctx context.Context, op string) (context.Context, func(err error))
	// Event is called for every security event the engine emits, after it is logged.
	Event(ctx context.Context, ev SecurityEvent)
}

// Observers combines observers into one that calls each in order.
func Observers(obs ...Observer) Observer {
	var list multiObserver
	for _, o := range obs {
		if o != nil {
			list = append(list, o)
		}
	}
	if len(list) == 1 {
		return list[0]
	}
	return list
}

type multiObserver []Observer

func (m multiObserver) StartOp(ctx context.Context, op string) (context.Context, func(error)) {
	ends := make([]func(error), len(m))
	for i, o := range m {
		ctx, ends[i] = o.StartOp(ctx, op)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}

func (m multiObserver) Event(ctx context.Context, ev SecurityEvent) {
	for _, o := range m {
		o.Event(ctx, ev)
	}
}

func noEnd(error) {}

// startOp begins op with the configured Observer; without one it costs nothing.
func (e *Engine) startOp(ctx context.Context, op string) (context.Context, func(error)) {
	if e.cfg.Observer == nil {
		return ctx, noEnd
	}
	return e.cfg.Observer.StartOp(ctx, op)
}

// observedStore reports each Store call to the Observer. Engine.store is this wrapper when an
// Observer is configured and the bare store otherwise. Optional capabilities are still found
// on Config.Store and observed where they are called.
type observedStore struct {
	Store
	obs Observer
}

func (s observedStore) Create(ctx context.Context, rec *Record) (err error) {
	ctx, end := s.obs.StartOp(ctx, OpStoreCreate)
	defer func() { end(err) }()
	return s.Store.Create(ctx, rec)
}

func (s observedStore) Get(ctx context.Context, handle string) (rec *Record, err error) {
	ctx, end := s.obs.StartOp(ctx, OpStoreGet)
	defer func() { end(err) }()
	return s.Store.Get(ctx, handle)
}

func (s observedStore) Update(ctx context.Context, handle string, cond Cond, ch Change) (ok bool, err error) {
	ctx, end := s.obs.StartOp(ctx, OpStoreUpdate)
	defer func() { end(err) }()
	return s.Store.Update(ctx, handle, cond, ch)
}

func (s observedStore) ListByUser(ctx context.Context, userID string, now time.Time) (recs []*Record, err error) {
	ctx, end := s.obs.StartOp(ctx, OpStoreList)
	defer func() { end(err) }()
	return s.Store.ListByUser(ctx, userID, now)
}

func (s observedStore) RevokeByUser(ctx context.Context, userID, except string) (hs []string, err error) {
	ctx, end := s.obs.StartOp(ctx, OpStoreRevoke)
	defer func() { end(err) }()
	return s.Store.RevokeByUser(ctx, userID, except)
}

// observedRotator reports each one-statement rotation.
type observedRotator struct {
	Rotator
	obs Observer
}

func (r observedRotator) Rotate(ctx context.Context, handle string, rot Rotation) (ok bool, err error) {
	ctx, end := r.obs.StartOp(ctx, OpStoreRotate)
	defer func() { end(err) }()
	return r.Rotator.Rotate(ctx, handle, rot)
}

// observedAudit reports each batch the audit writer appends.
type observedAudit struct {
	AuditLog
	obs Observer
}

func (a observedAudit) AppendEvents(ctx context.Context, events []AuditEvent) (err error) {
	ctx, end := a.obs.StartOp(ctx, OpAuditAppend)
	defer func() { end(err) }()
	return a.AuditLog.AppendEvents(ctx, events)
}

// Stats is a snapshot of the engine's counters, for metrics (read it on scrape).
type Stats struct {
	VerifyCache VerifyCacheStats
	Feed        FeedStats
	Admission   AdmissionStats
	Audit       AuditStats
}

// VerifyCacheStats counts the verify cache's answers since New.
type VerifyCacheStats struct {
	Enabled bool
	Hits    uint64 // access tokens verified from the cache
	Misses  uint64 // access tokens that needed a signature check
	Entries int    // tokens cached now
}

// FeedStats describes the revocation feed poller: how far behind this instance may be in
// refusing sessions another instance revoked.
type FeedStats struct {
	Enabled     bool      // the store has a RevocationFeed and polling is on
	LastPoll    time.Time // last successful poll; zero before the first
	Failures    uint64    // polls that failed since New
	Revocations int       // handles remembered as revoked now
}

// feedStats are the poller's counters.
type feedStats struct {
	lastPoll atomic.Int64 // unix nanoseconds of the last successful poll
	failures atomic.Uint64
}

// Stats returns a snapshot of the engine's counters.
func (e *Engine) Stats() Stats {
	st := Stats{Admission: e.AdmissionStats(), Audit: e.AuditStats()}
	if c := e.cache; c != nil {
		st.VerifyCache = VerifyCacheStats{Enabled: true, Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: c.len()}
	}
	_, feed := e.cfg.Store.(RevocationFeed)
	st.Feed = FeedStats{Enabled: feed && e.revoked.stop != nil, Failures: e.feed.failures.Load(),
		Revocations: int(e.revoked.n.Load())}
	if ns := e.feed.lastPoll.Load(); ns != 0 {
		st.Feed.LastPoll = time.Unix(0, ns).UTC()
	}
	return st
}

// Outcomes of an operation, as Outcome names them: the outcome label of metrics and the
// status of trace spans.
const (
	OutcomeOK       = "ok"       // the operation succeeded
	OutcomeRejected = "rejected" // an answer, not a failure: a wrong password, an expired or stolen token, a CSRF refusal, a missing row
	OutcomeShed     = "shed"     // refused by admission control (ErrOverloaded): the store was saturated
	OutcomeError    = "error"    // a real failure: the store failed (ErrStore), a context ended, or an unexpected error
)

// Outcome classifies the error an operation ended with (what an Observer's end function
// receives). Answers are the protocol's refusals: every *Error (unauthorised, try refresh,
// token theft, CSRF, bad request, rate limited, …), a wrong password, the session limit and a
// row that does not exist. Store failures and ended contexts are failures whatever wraps
// them, and so is anything unexpected: an error the engine does not know is never counted as
// a harmless answer. It does not allocate.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrStore), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return OutcomeError
	case errors.Is(err, ErrOverloaded):
		return OutcomeShed
	case wrapsError(err), errors.Is(err, ErrWrongCredentials), errors.Is(err, ErrSessionLimit), errors.Is(err, ErrNotFound):
		return OutcomeRejected
	}
	return OutcomeError
}

// wrapsError reports whether err is or wraps an *Error: errors.As without the allocation of
// its target.
func wrapsError(err error) bool {
	for err != nil {
		switch x := err.(type) {
		case *Error:
			return true
		case interface{ Unwrap() error }:
			err = x.Unwrap()
		case interface{ Unwrap() []error }:
			return slices.ContainsFunc(x.Unwrap(), wrapsError)
		default:
			return false
		}
	}
	return false
}
