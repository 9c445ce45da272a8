package gormstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ratchetauth/ratchet/core"
)

var (
	_ core.AuditLog     = (*Store)(nil)
	_ core.EventCounter = (*Store)(nil)
)

// auditRow is the audit events table (schema version 4, migrations/*/0004_audit_events.sql).
// Column names are explicit, like sessionRow's. The identifiers (id, type, user_id, handle,
// actor) are key columns: VARBINARY on MySQL/MariaDB, so that they compare byte for byte and
// their index entries stay far below InnoDB's 3072-byte key limit (a utf8mb4 VARCHAR(255)
// alone would take 1020 bytes).
//
// Indexes:
//   - the primary key (id): a listing without a user or session filter walks it backwards;
//   - (user_id, id) and (handle, id): a user's or a session's events, newest first, are one
//     backward range of the index, and the keyset cursor (id < ?) is a bound within it;
//   - (time, type): DeleteEventsBefore reads a range of it, and CountEvents reads nothing
//     else (the index covers the query).
type auditRow struct {
	ID        key       `gorm:"column:id;primaryKey;size:32;not null;index:,composite:user_id,priority:2;index:,composite:handle,priority:2"`
	Time      time.Time `gorm:"column:time;not null;precision:6;size:64;index:,composite:time,priority:1"`
	Type      key       `gorm:"column:type;size:64;not null;index:,composite:time,priority:2"`
	UserID    key       `gorm:"column:user_id;size:255;not null;index:,composite:user_id,priority:1"`
	Handle    key       `gorm:"column:handle;size:64;not null;index:,composite:handle,priority:1"`
	IP        string    `gorm:"column:ip;size:64;not null"`
	UserAgent string    `gorm:"column:user_agent;size:512;not null"`
	Reason    string    `gorm:"column:reason;size:1024;not null"`
	Actor     key       `gorm:"column:actor;size:255;not null"`
}

// Column sizes of auditRow, in bytes; fit cuts longer values.
const (
	auditIDLen       = 32
	auditTypeSize    = 64
	auditUserIDSize  = 255
	auditHandleSize  = 64
	auditIPSize      = 64
	auditUASize      = 512
	auditReasonSize  = 1024
	auditActorSize   = 255
	auditInsertRows  = 500  // most events per INSERT statement (9 parameters each)
	auditDeleteBatch = 5000 // most events per DELETE statement in DeleteEventsBefore
)

// errBadAuditCursor is returned by ListEvents for a cursor this store did not produce.
var errBadAuditCursor = errors.New("gormstore: malformed audit cursor")

// validAuditID reports whether id has the shape core.NewAuditID gives: 32 lowercase hex
// digits. Only such IDs are stored, so only such cursors can be valid.
func validAuditID(id string) bool {
	if len(id) != auditIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// fit makes s storable in a column of max bytes: invalid UTF-8 and NUL (which PostgreSQL
// refuses in text) become U+FFFD, and what is longer than max is cut on a rune boundary. The
// engine already bounds what comes from clients; this keeps one odd event (a long reason
// from an app) from failing its whole batch.
func fit(s string, max int) string {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

func toAuditRow(ev *core.AuditEvent) auditRow {
	return auditRow{
		ID: key(ev.ID), Time: dbTime(ev.Time), Type: key(fit(ev.Type, auditTypeSize)),
		UserID: key(fit(ev.UserID, auditUserIDSize)), Handle: key(fit(ev.Handle, auditHandleSize)),
		IP: fit(ev.IP, auditIPSize), UserAgent: fit(ev.UserAgent, auditUASize),
		Reason: fit(ev.Reason, auditReasonSize), Actor: key(fit(ev.Actor, auditActorSize)),
	}
}

func (r *auditRow) event() core.AuditEvent {
	return core.AuditEvent{
		ID: string(r.ID), Time: r.Time.UTC(), Type: string(r.Type), UserID: string(r.UserID),
		Handle: string(r.Handle), IP: r.IP, UserAgent: r.UserAgent, Reason: r.Reason, Actor: string(r.Actor),
	}
}

// AuditEventsTable returns the name of the audit events table, prefix included.
func (s *Store) AuditEventsTable() string { return s.events }

// AppendEvents implements core.AuditLog: all or none. Up to 500 events are one multi-row
// INSERT; a longer slice is several INSERTs in one transaction. Every ID must have the shape
// core.NewAuditID gives (32 lowercase hex digits), and a duplicate ID, within the batch or
// with a stored event, fails the whole call. Strings longer than their column (ip 64,
// user_agent 512, reason 1024, type and handle 64, user_id and actor 255 bytes) are cut on a
// rune boundary, and invalid UTF-8 or NUL becomes U+FFFD.
func (s *Store) AppendEvents(ctx context.Context, events []core.AuditEvent) error {
	if err := ctx.Err(); err != nil {
		return wrap(ctx, "append events", err)
	}
	if len(events) == 0 {
		return nil
	}
	rows := make([]auditRow, len(events))
	seen := make(map[string]bool, len(events))
	for i := range events {
		id := events[i].ID
		if !validAuditID(id) {
			return fmt.Errorf("gormstore: append events: event %d: ID %q is not 32 lowercase hex digits (core.NewAuditID)", i, id)
		}
		if seen[id] {
			return fmt.Errorf("gormstore: append events: duplicate event ID %q", id)
		}
		seen[id] = true
		rows[i] = toAuditRow(&events[i])
	}
	release, err := s.gate(ctx)
	if err != nil {
		return wrap(ctx, "append events", err)
	}
	defer release()
	db := s.db.WithContext(ctx)
	// A deadlock victim (against the janitor's range DELETE of old events) rolled back whole,
	// so sending the batch again cannot store an event twice.
	return wrap(ctx, "append events", retryDeadlocks(ctx, func() error {
		if len(rows) <= auditInsertRows {
			return db.Table(s.events).Create(&rows).Error
		}
		return db.Transaction(func(tx *gorm.DB) error {
			for start := 0; start < len(rows); start += auditInsertRows {
				chunk := rows[start:min(start+auditInsertRows, len(rows))]
				if err := tx.Table(s.events).Create(&chunk).Error; err != nil {
					return err
				}
			}
			return nil
		})
	}))
}

// ListEvents implements core.AuditLog with one SELECT,
//
//	SELECT * FROM audit_events WHERE [user_id = ?] [AND handle = ?] [AND type IN (…)]
//	 [AND time >= ?] [AND time < ?] [AND id < <cursor>] ORDER BY id DESC LIMIT <limit + 1>
//
// which reads the (user_id, id) or (handle, id) index backwards when the query names a user
// or a session, and the primary key backwards otherwise; no sort. The extra row only tells
// whether there is a next page. The cursor is the last ID returned; a cursor that is not an
// ID this store could have returned is an error.
func (s *Store) ListEvents(ctx context.Context, q core.AuditQuery) ([]core.AuditEvent, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", wrap(ctx, "list events", err)
	}
	if q.Cursor != "" && !validAuditID(q.Cursor) {
		return nil, "", errBadAuditCursor
	}
	limit := q.EffectiveLimit()
	db := s.db.WithContext(ctx).Table(s.events)
	// Filter values get the treatment stored values got (fit), so that what was stored under a
	// value is found under it, and a value no column could hold is not sent as is.
	if q.UserID != "" {
		db = db.Where("user_id = ?", fit(q.UserID, auditUserIDSize))
	}
	if q.Handle != "" {
		db = db.Where("handle = ?", fit(q.Handle, auditHandleSize))
	}
	if len(q.Types) > 0 {
		types := make([]string, len(q.Types))
		for i, typ := range q.Types {
			types[i] = fit(typ, auditTypeSize)
		}
		db = db.Where("? IN ?", clause.Column{Name: "type"}, types)
	}
	if !q.Since.IsZero() {
		db = db.Where("? >= ?", clause.Column{Name: "time"}, dbTime(q.Since))
	}
	if !q.Until.IsZero() {
		db = db.Where("? < ?", clause.Column{Name: "time"}, dbTime(q.Until))
	}
	if q.Cursor != "" {
		db = db.Where("id < ?", q.Cursor)
	}
	var rows []auditRow
	if err := db.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return nil, "", wrap(ctx, "list events", err)
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = string(rows[limit-1].ID)
	}
	if len(rows) == 0 {
		return nil, "", nil
	}
	out := make([]core.AuditEvent, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, next, nil
}

// DeleteEventsBefore implements core.AuditLog: it deletes the events whose time is before
// before, oldest first, at most 5,000 per statement (a range of the (time, type) index), until
// none is left, and returns how many it deleted. Small statements keep each transaction, its
// locks and (on SQLite) its hold on the write lock short when a large backlog goes at once:
// the store's other writes run between them. When a statement fails (or ctx ends between
// two), the error comes with the number of events the earlier statements deleted.
//
// The statement is, on MySQL/MariaDB,
//
//	DELETE FROM audit_events WHERE time < ? ORDER BY time LIMIT 5000
//
// on SQLite (whose DELETE has no LIMIT unless compiled with it)
//
//	DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE time < ? ORDER BY time LIMIT 5000)
//
// and on PostgreSQL (which has no DELETE … LIMIT either) the same with id = ANY(ARRAY(SELECT …)).
func (s *Store) DeleteEventsBefore(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap(ctx, "delete events", err)
	}
	var total int64
	for {
		n, err := s.deleteEventsBatch(ctx, dbTime(before))
		if err != nil {
			return total, wrap(ctx, "delete events", err)
		}
		total += n
		if n < auditDeleteBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, wrap(ctx, "delete events", err)
		}
	}
}

func (s *Store) deleteEventsBatch(ctx context.Context, before time.Time) (int64, error) {
	release, err := s.gate(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	tbl, at := clause.Table{Name: s.events}, clause.Column{Name: "time"}
	db := s.db.WithContext(ctx)
	var stmt string
	switch s.dialect {
	case dialectMySQL:
		return rowsAffected(db.Exec("DELETE FROM ? WHERE ? < ? ORDER BY ? LIMIT ?", tbl, at, before, at, auditDeleteBatch))
	case dialectPostgres:
		// = ANY(ARRAY(…)), not IN (…): the planner turns IN into a semi-join, and for a few
		// thousand IDs it prefers hashing them and reading the whole table to probing the
		// primary key; an array is always probed.
		stmt = "DELETE FROM ? WHERE id = ANY(ARRAY(SELECT id FROM ? WHERE ? < ? ORDER BY ? LIMIT ?))"
	default:
		stmt = "DELETE FROM ? WHERE id IN (SELECT id FROM ? WHERE ? < ? ORDER BY ? LIMIT ?)"
	}
	return rowsAffected(db.Exec(stmt, tbl, tbl, at, before, at, auditDeleteBatch))
}

func rowsAffected(res *gorm.DB) (int64, error) {
	return res.RowsAffected, res.Error
}

type typeCount struct {
	Type key   `gorm:"column:type"`
	N    int64 `gorm:"column:n"`
}

// CountEvents implements core.EventCounter with one SELECT on the (time, type) index, which
// covers it:
//
//	SELECT type, COUNT(*) AS n FROM audit_events WHERE time >= ? AND time < ? GROUP BY type
//
// Types without events in the range are absent. An empty or reversed range counts nothing.
func (s *Store) CountEvents(ctx context.Context, since, until time.Time) (map[string]int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, wrap(ctx, "count events", err)
	}
	out := map[string]int64{}
	since, until = dbTime(since), dbTime(until)
	if !since.Before(until) {
		return out, nil
	}
	at, typ := clause.Column{Name: "time"}, clause.Column{Name: "type"}
	var rows []typeCount
	err := s.db.WithContext(ctx).Raw("SELECT ?, COUNT(*) AS n FROM ? WHERE ? >= ? AND ? < ? GROUP BY ?",
		typ, clause.Table{Name: s.events}, at, since, at, until, typ).Find(&rows).Error
	if err != nil {
		return nil, wrap(ctx, "count events", err)
	}
	for _, r := range rows {
		out[string(r.Type)] = r.N
	}
	return out, nil
}
