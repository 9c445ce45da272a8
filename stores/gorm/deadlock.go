package gormstore

import (
	"context"
	"errors"
	"strings"

	"gorm.io/gorm"
)

// ErrDeadlock matches (with errors.Is) an error caused by the database choosing the statement
// as a deadlock victim (MySQL/MariaDB error 1213, PostgreSQL 40P01) or refusing it as a
// serialization failure (40001). The database rolled the statement back: it did not happen,
// and it is safe to retry. The store already retries its own writes (see retryDeadlocks), so an
// error that matches ErrDeadlock means every attempt was chosen.
var ErrDeadlock = errors.New("gormstore: deadlock victim")

// deadlockAttempts bounds how often a write chosen as a deadlock victim runs: a victim's
// statement is rolled back whole, and by the time it runs again the transaction it lost to has
// usually finished, so a second attempt nearly always succeeds; a third covers a second loss.
const deadlockAttempts = 3

// retryDeadlocks runs write, which sends one statement or one transaction, again when the
// database chose it as a deadlock victim, up to deadlockAttempts times in all, and never after
// ctx has ended. Every write the store retries is conditional or idempotent (a CAS update, an
// INSERT of a new primary key, a revocation, a batch of audit events with their own IDs, a
// signing key), and a victim's statement left no trace, so running it again is the same as
// running it once. Reads take no locks and are not retried; neither is the janitor's DELETE,
// which its next run repeats.
//
// MariaDB chooses victims among plain single-row updates too: an InnoDB UPDATE that changes
// an indexed column (expires_at) inserts into that index's gaps, which any locking read of
// that index (another transaction's range UPDATE, DELETE or SELECT … FOR UPDATE) may hold. A
// refresh must not fail for that.
func retryDeadlocks(ctx context.Context, write func() error) error {
	var err error
	for range deadlockAttempts {
		if err = write(); err == nil || !isDeadlock(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// sendRetrying is retryDeadlocks for one GORM call, whose result (RowsAffected) the caller
// reads: that of the last attempt.
func sendRetrying(ctx context.Context, send func() *gorm.DB) (*gorm.DB, error) {
	var res *gorm.DB
	err := retryDeadlocks(ctx, func() error {
		res = send()
		return res.Error
	})
	return res, err
}

// isDeadlock recognises a deadlock victim or serialization failure without importing a driver:
// pgx's *pgconn.PgError and lib/pq's *pq.Error expose SQLState; go-sql-driver/mysql's
// *MySQLError has no method to ask, and formats itself as "Error 1213 (40001): …" (or
// "Error 1213: …" when the server sent no SQL state).
func isDeadlock(err error) bool {
	var stated interface{ SQLState() string }
	if errors.As(err, &stated) {
		switch stated.SQLState() {
		case "40P01", "40001":
			return true
		}
		return false
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		msg := e.Error()
		if strings.HasPrefix(msg, "Error 1213 ") || strings.HasPrefix(msg, "Error 1213:") {
			return true
		}
	}
	return false
}
