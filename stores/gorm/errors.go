package gormstore

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
)

// ErrBusy matches (with errors.Is) an error caused by a busy or locked SQLite database: the
// busy timeout ran out while another connection held the write lock. The operation did not
// happen; it is safe to retry.
var ErrBusy = errors.New("gormstore: database is busy")

// Error is the error every Store method returns when the database fails. It wraps the driver's
// error (reachable with errors.As / errors.Is), the context's error when the context was
// cancelled or timed out (errors.Is(err, context.Canceled) holds even when the driver reports
// the cancellation its own way), ErrBusy for SQLITE_BUSY / SQLITE_LOCKED, and ErrDeadlock
// for a deadlock victim or serialization failure.
type Error struct {
	Op       string // the store operation: "create", "get", "update", …
	Err      error  // the underlying error
	ctx      error
	busy     bool
	deadlock bool
}

// Error implements error: "gormstore: <op>: <cause>".
func (e *Error) Error() string { return "gormstore: " + e.Op + ": " + e.Err.Error() }

// Unwrap exposes the underlying error, the context error, ErrBusy and ErrDeadlock, as
// applicable.
func (e *Error) Unwrap() []error {
	out := []error{e.Err}
	if e.ctx != nil {
		out = append(out, e.ctx)
	}
	if e.busy {
		out = append(out, ErrBusy)
	}
	if e.deadlock {
		out = append(out, ErrDeadlock)
	}
	return out
}

// wrap turns a driver or GORM error into *Error; gorm.ErrRecordNotFound becomes
// core.ErrNotFound.
func wrap(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return core.ErrNotFound
	}
	e := &Error{Op: op, Err: err, busy: isBusy(err), deadlock: isDeadlock(err)}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		e.ctx = cerr
	}
	return e
}

// isBusy recognises SQLite's busy and locked result codes. The pure-Go drivers
// (modernc.org/sqlite and its fork github.com/glebarez/go-sqlite) expose the result code
// through a Code method, so no driver needs to be imported.
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		c := coded.Code() & 0xff
		return c == 5 || c == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	return false
}
