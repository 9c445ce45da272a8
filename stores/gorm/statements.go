package gormstore

import (
	"database/sql"
	"strings"
	"time"
)

// The statements of the hot paths (a sign-in's insert, a refresh's rotation, a strict
// verification's read) are written once per store, in New, and sent with GORM's Exec and Raw:
// GORM still runs its callbacks and logs them, but builds nothing per call. Through the query
// builder (Updates with a map, Find into a slice) the same statements cost more CPU than the
// database spends on them: Create walks the model's fields by reflection; an Updates map is
// first parsed as a model, fails, and formats that failure with fmt on every call, then sorts
// and builds the SET clause; Find scans by reflection. On CPUs shared with the database, that
// CPU is throughput the database does not get (tests/gorm BenchmarkDatabaseFloor).

// mysqlPrimaryKeyHint makes MySQL's single-row updates by handle use the primary key (see
// Store.rowTable).
const mysqlPrimaryKeyHint = "FORCE INDEX (PRIMARY)"

// statements are a store's prebuilt SQL, with GORM's ? placeholders.
type statements struct {
	insert string // Create's INSERT of every column, in insertArgs' order
	rotate string // Rotate's conditional UPDATE
	get    string // Get's SELECT by handle
}

func newStatements(dialect, table string) statements {
	q := func(name string) string { return "`" + name + "`" }
	if dialect == dialectPostgres {
		q = func(name string) string { return `"` + name + `"` }
	}
	var set strings.Builder
	for i, c := range []struct{ col, val string }{
		// The order GORM's Updates wrote them in (sorted), so the statement's text, and
		// with it every plan cache and statement log, is what it was.
		{"current_hash", "?"},
		{"expires_at", "?"},
		{"history", rotateHistory[dialect]},
		{"last_active_at", "?"},
		{"previous_hash", "?"},
		{"rotated_at", "?"},
		{"write_seq", "write_seq + 1"},
	} {
		if i > 0 {
			set.WriteByte(',')
		}
		set.WriteString(q(c.col) + "=" + c.val)
	}
	hint := "" // see Store.rowTable
	if dialect == dialectMySQL {
		hint = " " + mysqlPrimaryKeyHint
	}
	cols := make([]string, len(insertColumns))
	for i, c := range insertColumns {
		cols[i] = q(c)
	}
	return statements{
		insert: "INSERT INTO " + q(table) + " (" + strings.Join(cols, ",") + ") VALUES (" +
			strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")",
		rotate: "UPDATE " + q(table) + hint + " SET " + set.String() +
			" WHERE (handle = ? AND revoked = false AND expires_at > ? AND current_hash = ? AND version = ?)" +
			" AND ((previous_hash = '' OR substr(history, 1, 64) = previous_hash))",
		get: "SELECT * FROM " + q(table) + " WHERE handle = ? LIMIT 1",
	}
}

// insertColumns are the sessions table's columns in the order GORM's Create wrote them (the
// model's field order), so the INSERT's text is what it was.
var insertColumns = []string{"handle", "user_id", "secret", "current_hash", "previous_hash",
	"rotated_at", "created_at", "expires_at", "last_active_at", "revoked", "version", "write_seq",
	"data", "payload", "ip", "user_agent", "idle_timeout_ms", "absolute_expires_at", "revoked_at",
	"history"}

// insertArgs are r's values for the INSERT, in insertColumns' order, as plain driver values.
func insertArgs(r *sessionRow) []any {
	return []any{string(r.Handle), string(r.UserID), r.Secret, string(r.CurrentHash),
		string(r.PreviousHash), r.RotatedAt, r.CreatedAt, r.ExpiresAt, r.LastActiveAt, r.Revoked,
		r.Version, r.WriteSeq, jsonArg(r.Data), jsonArg(r.Payload), r.IP, r.UserAgent,
		r.IdleTimeoutMS, timeArg(r.AbsoluteExpiresAt), timeArg(r.RevokedAt), r.History}
}

// jsonArg and timeArg are nullable columns' values: nil is NULL.
func jsonArg(p *jsonText) any {
	if p == nil {
		return nil
	}
	return string(*p)
}

func timeArg(p *time.Time) any {
	if p == nil {
		return nil
	}
	return *p
}

// scanSession reads the current row of rows (SELECT * of the sessions table) into a
// sessionRow, matching columns by name, so that a table whose columns are in another order or
// that carries columns of the app's own still reads correctly; unknown columns are skipped.
func scanSession(rows *sql.Rows) (*sessionRow, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var (
		r                     sessionRow
		data, payload         sql.NullString
		absExpires, revokedAt sql.NullTime
		skip                  any
	)
	dest := make([]any, len(cols))
	for i, c := range cols {
		switch c {
		case "handle":
			dest[i] = (*string)(&r.Handle)
		case "user_id":
			dest[i] = (*string)(&r.UserID)
		case "secret":
			dest[i] = &r.Secret
		case "current_hash":
			dest[i] = (*string)(&r.CurrentHash)
		case "previous_hash":
			dest[i] = (*string)(&r.PreviousHash)
		case "rotated_at":
			dest[i] = &r.RotatedAt
		case "created_at":
			dest[i] = &r.CreatedAt
		case "expires_at":
			dest[i] = &r.ExpiresAt
		case "last_active_at":
			dest[i] = &r.LastActiveAt
		case "revoked":
			dest[i] = &r.Revoked
		case "version":
			dest[i] = &r.Version
		case "write_seq":
			dest[i] = &r.WriteSeq
		case "data":
			dest[i] = &data
		case "payload":
			dest[i] = &payload
		case "ip":
			dest[i] = &r.IP
		case "user_agent":
			dest[i] = &r.UserAgent
		case "idle_timeout_ms":
			dest[i] = &r.IdleTimeoutMS
		case "absolute_expires_at":
			dest[i] = &absExpires
		case "revoked_at":
			dest[i] = &revokedAt
		case "history":
			dest[i] = &r.History
		default:
			dest[i] = &skip
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	r.Data, r.Payload = nullJSON(data), nullJSON(payload)
	r.AbsoluteExpiresAt, r.RevokedAt = nullTime(absExpires), nullTime(revokedAt)
	return &r, nil
}

func nullJSON(s sql.NullString) *jsonText {
	if !s.Valid {
		return nil
	}
	j := jsonText(s.String)
	return &j
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}
