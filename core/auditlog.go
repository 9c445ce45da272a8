package core

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// AuditEvent is one stored security event (docs/AUDIT.md). Like SecurityEvent it never
// contains a token, a token hash, a cookie, an Authorization header or a password.
type AuditEvent struct {
	// ID is assigned by the engine (NewAuditID): unique, and ordered by Time first, so that
	// ordering by ID is ordering by time. Stores persist it verbatim and key pages on it.
	ID        string
	Time      time.Time // UTC
	Type      string    // one of the Event… constants
	UserID    string
	Handle    string // public session id
	IP        string
	UserAgent string
	Reason    string
	// Actor names who acted, for admin actions (the admin's user id); empty otherwise.
	Actor string
}

// Bounds of AuditQuery.Limit.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 500
)

// AuditQuery selects events from an AuditLog. Zero fields do not filter.
type AuditQuery struct {
	UserID string   // only this user's events
	Handle string   // only this session's events
	Types  []string // only these types
	Since  time.Time
	Until  time.Time // Since <= Time < Until
	// Limit bounds the page: zero or negative means DefaultAuditLimit, more than
	// MaxAuditLimit means MaxAuditLimit (EffectiveLimit).
	Limit int
	// Cursor is the next cursor returned by the previous page, "" for the first page.
	Cursor string
}

// EffectiveLimit is Limit within its bounds: what a store returns at most.
func (q AuditQuery) EffectiveLimit() int {
	switch {
	case q.Limit <= 0:
		return DefaultAuditLimit
	case q.Limit > MaxAuditLimit:
		return MaxAuditLimit
	}
	return q.Limit
}

// AuditLog is implemented by stores that keep security events. When the store implements it
// (and Config.Audit.Disable is false) the engine writes every event it emits through an
// asynchronous bounded writer, and Engine.ListSecurityEvents reads them.
//
// Every method must be safe for concurrent use. Events returned are the caller's: mutating
// them, or the slice passed to AppendEvents, never changes what the store holds. Times must
// round-trip to at least millisecond precision.
type AuditLog interface {
	// AppendEvents stores the events, all or none. IDs are unique; a store may refuse a
	// duplicate with an error.
	AppendEvents(ctx context.Context, events []AuditEvent) error
	// ListEvents returns the events matching q, newest first (ID descending), at most
	// q.EffectiveLimit() of them, and a cursor for the next page, "" when there is none.
	// Paging is keyset paging on ID: the next page starts strictly after the last ID
	// returned, so pages never repeat or skip an event, even while newer events are
	// appended. A listing must not scan other users' or sessions' events when UserID or
	// Handle is set (an index, or a per-key structure).
	ListEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, string, error)
	// DeleteEventsBefore deletes events whose Time is before before and returns how many.
	DeleteEventsBefore(ctx context.Context, before time.Time) (int64, error)
}

// ErrNoAuditLog is returned by ListSecurityEvents and PruneSecurityEvents when the store does
// not implement AuditLog or Config.Audit.Disable is set.
var ErrNoAuditLog = errors.New("ratchet: store does not implement AuditLog (or Config.Audit.Disable is set)")

// Defaults of AuditConfig.
const (
	DefaultAuditQueueSize     = 4096
	DefaultAuditBatchSize     = 256
	DefaultAuditFlushInterval = 250 * time.Millisecond
	DefaultAuditWriteTimeout  = 5 * time.Second
	DefaultAuditRetention     = 90 * 24 * time.Hour
)

// AuditConfig configures the audit log writer. It is used only when the store implements
// AuditLog.
type AuditConfig struct {
	// Disable stops the engine from writing events to the store's audit log.
	Disable bool
	// QueueSize bounds the events waiting to be written; when the queue is full an event is
	// dropped and counted (AuditStats.Dropped): a request never waits for the audit log.
	// Default 4096.
	QueueSize int
	// BatchSize is the most events written in one AppendEvents. Default 256.
	BatchSize int
	// FlushInterval is the longest an event waits in the queue while a batch fills.
	// Default 250 ms.
	FlushInterval time.Duration
	// WriteTimeout bounds one AppendEvents. Default 5 s.
	WriteTimeout time.Duration
	// Retention is how long events are kept: Engine.DeleteExpired (the janitor) and
	// Engine.PruneSecurityEvents delete older ones. Default 90 days; negative keeps them
	// forever.
	Retention time.Duration
}

func (a *AuditConfig) defaults() error {
	if a.QueueSize < 0 || a.BatchSize < 0 || a.FlushInterval < 0 || a.WriteTimeout < 0 {
		return configErr("Audit.QueueSize, BatchSize, FlushInterval and WriteTimeout must not be negative")
	}
	setDefault(&a.QueueSize, DefaultAuditQueueSize)
	setDefault(&a.BatchSize, DefaultAuditBatchSize)
	setDefault(&a.FlushInterval, DefaultAuditFlushInterval)
	setDefault(&a.WriteTimeout, DefaultAuditWriteTimeout)
	setDefault(&a.Retention, DefaultAuditRetention)
	return nil
}

// AuditStats counts what the audit writer did since New.
type AuditStats struct {
	Enabled bool   // the store implements AuditLog and Audit.Disable is false
	Queued  int    // events waiting to be written now
	Written uint64 // events the store accepted
	Dropped uint64 // events dropped because the queue was full or the engine closed
	Failed  uint64 // events lost because AppendEvents returned an error
}

// NewAuditID returns a unique audit event ID for an event at t: 32 lowercase hex digits, the
// first 16 the microseconds since the Unix epoch, so IDs sort by time (at microsecond
// precision), then 16 random digits.
func NewAuditID(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMicro()))
	copy(b[8:], randomBytes(8))
	return hex.EncodeToString(b[:])
}

// auditWriter is the asynchronous bounded writer between emit and the store's AuditLog.
type auditWriter struct {
	log  AuditLog
	cfg  AuditConfig
	warn func(msg string, args ...any)

	// The queue is a slice under a mutex rather than a channel: a channel receive would wake
	// the writer goroutine for every event (a futex wake and a context switch per sign-in or
	// refresh). The writer sleeps until FlushInterval, a full batch (kick) or Close.
	mu     sync.Mutex
	queue  []AuditEvent
	closed bool
	kick   chan struct{} // capacity 1: a batch is ready
	stop   chan struct{}
	done   chan struct{}

	written atomic.Uint64
	dropped atomic.Uint64
	failed  atomic.Uint64
}

func newAuditWriter(l AuditLog, cfg AuditConfig, warn func(string, ...any)) *auditWriter {
	w := &auditWriter{log: l, cfg: cfg, warn: warn, queue: make([]AuditEvent, 0, cfg.BatchSize),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// enqueue never blocks: a full queue or a closed writer drops the event and counts it.
func (w *auditWriter) enqueue(ev AuditEvent) {
	w.mu.Lock()
	if w.closed || len(w.queue) >= w.cfg.QueueSize {
		w.mu.Unlock()
		w.dropped.Add(1)
		return
	}
	w.queue = append(w.queue, ev)
	full := len(w.queue) == w.cfg.BatchSize
	w.mu.Unlock()
	if full {
		select {
		case w.kick <- struct{}{}:
		default: // already kicked
		}
	}
}

// queued is how many events wait to be written.
func (w *auditWriter) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.queue)
}

func (w *auditWriter) run() {
	defer close(w.done)
	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	var spare []AuditEvent // the previous queue, reused as the next one
	for {
		stopping := false
		select {
		case <-w.kick:
		case <-tick.C:
		case <-w.stop:
			stopping = true
		}
		w.mu.Lock()
		taken := w.queue
		w.queue = spare[:0]
		w.mu.Unlock()
		for batch := taken; len(batch) > 0; {
			n := min(len(batch), w.cfg.BatchSize)
			w.flush(batch[:n])
			batch = batch[n:]
		}
		spare = taken[:0]
		if stopping {
			return
		}
	}
}

// flush writes one batch.
func (w *auditWriter) flush(batch []AuditEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.WriteTimeout)
	err := w.log.AppendEvents(ctx, batch)
	cancel()
	if err != nil {
		w.failed.Add(uint64(len(batch)))
		w.warn("ratchet: audit log write failed; events lost", "events", len(batch), "err", err)
	} else {
		w.written.Add(uint64(len(batch)))
	}
	clear(batch)
}

// close writes what is queued and stops the writer: events enqueued after it are dropped.
func (w *auditWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
}

// audit queues ev for the store's audit log, if there is one.
func (e *Engine) audit(ev SecurityEvent) {
	if e.auditW == nil {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = e.cfg.Clock.Now().UTC()
	}
	e.auditW.enqueue(AuditEvent{ID: NewAuditID(ev.Time), Time: ev.Time, Type: ev.Type, UserID: ev.UserID,
		Handle: ev.Handle, IP: ev.IP, UserAgent: ev.UserAgent, Reason: ev.Reason, Actor: ev.Actor})
}

// AuditStats reports what the audit writer did; the zero AuditStats when there is none.
func (e *Engine) AuditStats() AuditStats {
	w := e.auditW
	if w == nil {
		return AuditStats{}
	}
	return AuditStats{Enabled: true, Queued: w.queued(), Written: w.written.Load(), Dropped: w.dropped.Load(),
		Failed: w.failed.Load()}
}

// auditLog is the store's AuditLog when the engine writes to it.
func (e *Engine) auditLog() (AuditLog, error) {
	if e.auditW == nil {
		return nil, ErrNoAuditLog
	}
	return e.auditW.log, nil
}

// ListSecurityEvents lists stored security events matching q, newest first, and the cursor
// of the next page ("" when there is none). Events still queued in the writer are not listed
// yet. It returns ErrNoAuditLog when there is no audit log.
func (e *Engine) ListSecurityEvents(ctx context.Context, q AuditQuery) ([]AuditEvent, string, error) {
	l, err := e.auditLog()
	if err != nil {
		return nil, "", err
	}
	ctx, release, err := e.admit(ctx)
	if err != nil {
		return nil, "", err
	}
	defer release()
	q.Limit = q.EffectiveLimit()
	evs, next, err := l.ListEvents(ctx, q)
	if err != nil {
		return nil, "", storeErr("list events", err)
	}
	return evs, next, nil
}

// PruneSecurityEvents deletes events older than Config.Audit.Retention and returns how many;
// Engine.DeleteExpired calls it too. With a negative Retention it deletes nothing.
func (e *Engine) PruneSecurityEvents(ctx context.Context) (int64, error) {
	l, err := e.auditLog()
	if err != nil {
		return 0, err
	}
	if e.cfg.Audit.Retention < 0 {
		return 0, nil
	}
	n, err := l.DeleteEventsBefore(ctx, e.cfg.Clock.Now().Add(-e.cfg.Audit.Retention))
	if err != nil {
		return 0, storeErr("delete events", err)
	}
	return n, nil
}

// String formats the counters.
func (s AuditStats) String() string {
	return fmt.Sprintf("queued %d, written %d, dropped %d, failed %d", s.Queued, s.Written, s.Dropped, s.Failed)
}

// EventCounter is implemented by audit logs that can count events without listing them: the
// admin API's counts (sign-ins, refreshes, thefts per hour) use it. It is optional; without it
// the counts are left out of the answer.
type EventCounter interface {
	// CountEvents returns how many events of each type have since <= Time < until. Types with
	// no event may be absent. It must not read events outside the range (an index on time).
	CountEvents(ctx context.Context, since, until time.Time) (map[string]int64, error)
}
