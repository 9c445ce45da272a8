package gormstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// Change notifications (PostgreSQL only). After every committed revocation and every key-ring
// write that changes what signs or verifies, the store sends
//
//	SELECT pg_notify(<channel>, <payload>)
//
// so that listeners (stores/gorm/pglisten, a core.ChangeNotifier) apply it at once instead
// of at their next revocation poll or key-ring reload. The payload is one of
//
//	revoked:<handle>[,<handle>…]   these sessions were revoked
//	revoked                        sessions were revoked; read the revocation feed
//	keys                           the signing-key ring changed; reload it
//
// (the kinds are core.NotifyRevoked and core.NotifyKeys). A handle list that would not fit
// in a NOTIFY payload (PostgreSQL's limit is 8000 bytes) is sent as the bare "revoked".
//
// The NOTIFY is a statement of its own, sent after the revoking statement has committed,
// rather than part of the revoking transaction:
//   - PostgreSQL serialises the commits of every transaction that has notified (a
//     cluster-wide lock taken before the commit and released after it). A revoking
//     transaction that also notified would hold it across its commit's WAL flush; the
//     separate statement changes no data, so its commit does not wait for a flush, and it
//     holds the lock only for a moment.
//   - A NOTIFY can fail (a full notification queue, a lost connection); in its own statement
//     the failure cannot undo or fail a revocation that has committed. It is logged, and
//     the listeners' revocation poll (or key-ring reload) delivers the change instead.
//   - The revoking statements stay the same on every database.
//
// The cost is one more round trip per revocation on PostgreSQL (docs/GORM.md has the
// measurement); nothing is sent on MySQL/MariaDB or SQLite. A process that dies between the
// commit and the NOTIFY loses the push, not the revocation: polling covers it.

// notifyTimeout bounds one NOTIFY. It runs even when the caller's context has ended after
// the revocation committed: other instances should hear of the revocation either way.
const notifyTimeout = 2 * time.Second

// maxNotifyPayload is the longest payload PostgreSQL accepts (it must be shorter than 8000
// bytes with the default block size).
const maxNotifyPayload = 7999

// notifyLogEvery rate-limits the warnings about failed NOTIFYs.
const notifyLogEvery = time.Minute

// notifier is the store's sending side: the channel (empty: no notifications) and the
// failure log.
type notifier struct {
	channel string
	log     *slog.Logger

	mu         sync.Mutex
	lastLog    time.Time
	suppressed int
}

// initNotify derives the channel on PostgreSQL. The channel depends on the schema the tables
// resolve to (current_schema() on the store's connections) and on both table names, so apps
// with different TablePrefixes, or in different schemas, of one database do not wake each
// other.
func (s *Store) initNotify(ctx context.Context, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	s.notify.log = log
	if s.dialect != dialectPostgres {
		return nil
	}
	var schema sql.NullString
	if err := s.db.WithContext(ctx).Raw("SELECT current_schema()").Row().Scan(&schema); err != nil {
		return wrap(ctx, "read current schema", err)
	}
	s.notify.channel = notifyChannel(schema.String, s.sessions, s.keys)
	return nil
}

// notifyChannel is "ratchet_" followed by 16 hex digits of SHA-256 over the schema and the
// two table names: a lower-case identifier of 24 bytes, valid unquoted and far below
// PostgreSQL's 63-byte limit.
func notifyChannel(schema, sessions, keys string) string {
	sum := sha256.Sum256([]byte(schema + "\x00" + sessions + "\x00" + keys))
	return "ratchet_" + hex.EncodeToString(sum[:8])
}

// NotifyChannel returns the PostgreSQL notification channel the store sends its changes on,
// to be given to the listener:
//
//	core.Config{Store: store, ChangeNotifier: pglisten.New(directDSN, store.NotifyChannel())}
//
// It is "ratchet_" followed by 16 hex digits derived from the current schema and the table
// names (TablePrefix included), so every instance of one app computes the same channel and
// apps that share a database but not tables use different ones. It is empty on MySQL/MariaDB
// and SQLite, which have no notifications.
func (s *Store) NotifyChannel() string { return s.notify.channel }

// revokedPayload is the payload for revoked handles: the list when it fits, else the bare
// kind ("read the feed"). No handles also means "read the feed".
func revokedPayload(handles []string) string {
	if len(handles) == 0 {
		return core.NotifyRevoked
	}
	n := len(core.NotifyRevoked) + len(handles)
	for _, h := range handles {
		n += len(h)
	}
	if n > maxNotifyPayload {
		return core.NotifyRevoked
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(core.NotifyRevoked)
	for i, h := range handles {
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(h)
	}
	return b.String()
}

// notifyRevoked announces committed revocations; no handles means "several, read the feed".
func (s *Store) notifyRevoked(ctx context.Context, handles ...string) {
	if s.notify.channel != "" {
		s.send(ctx, revokedPayload(handles))
	}
}

// notifyKeys announces a committed change of the key ring.
func (s *Store) notifyKeys(ctx context.Context) {
	if s.notify.channel != "" {
		s.send(ctx, core.NotifyKeys)
	}
}

// send runs one NOTIFY in its own statement. A failure is logged (at most once a minute,
// with the number of failures not logged) and otherwise ignored: the change has committed,
// and polling delivers it.
func (s *Store) send(ctx context.Context, payload string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
	defer cancel()
	err := s.db.WithContext(ctx).Exec("SELECT pg_notify(?, ?)", s.notify.channel, payload).Error
	if err == nil {
		return
	}
	n := &s.notify
	n.mu.Lock()
	now := time.Now()
	if !n.lastLog.IsZero() && now.Sub(n.lastLog) < notifyLogEvery {
		n.suppressed++
		n.mu.Unlock()
		return
	}
	suppressed := n.suppressed
	n.lastLog, n.suppressed = now, 0
	n.mu.Unlock()
	kind, _, _ := strings.Cut(payload, ":")
	n.log.WarnContext(ctx, "gormstore: change notification (NOTIFY) failed; other instances learn of the change at their next poll",
		"channel", n.channel, "kind", kind, "error", err, "failures_not_logged", suppressed)
}
