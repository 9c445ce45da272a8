package gormstore

import (
	"context"

	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
)

var _ core.Rotator = (*Store)(nil)

// rotateHistory is the SQL of core.Rotator's History rule per dialect: the new entry in
// front, cut to whole entries. MySQL's || is OR, hence CONCAT there; PostgreSQL needs the
// parameter's type spelled out to resolve ||.
var rotateHistory = map[string]string{
	dialectPostgres: "CASE WHEN history = '' THEN CAST(? AS TEXT) ELSE substr(CAST(? AS TEXT) || ',' || history, 1, ?) END",
	dialectMySQL:    "CASE WHEN history = '' THEN ? ELSE LEFT(CONCAT(?, ',', history), ?) END",
	dialectSQLite:   "CASE WHEN history = '' THEN ? ELSE substr(? || ',' || history, 1, ?) END",
}

// Rotate implements core.Rotator: one conditional UPDATE, whose rows-affected count is the
// answer. The row's own History is read inside the statement, so nothing is read first. The
// last condition refuses rows whose History does not begin with their previous token (written
// before the engine put it there); the engine rotates those the two-statement way.
func (s *Store) Rotate(ctx context.Context, handle string, r core.Rotation) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, wrap(ctx, "rotate", err)
	}
	release, err := s.gate(ctx)
	if err != nil {
		return false, wrap(ctx, "rotate", err)
	}
	defer release()
	// The statement is newStatements' rotate (statements.go), built once in New.
	at := dbTime(r.At)
	res, err := sendRetrying(ctx, func() *gorm.DB {
		return s.db.WithContext(ctx).Exec(s.stmts.rotate,
			r.To, dbTime(r.ExpiresAt), r.Entry, r.Entry, r.HistoryMax, at, r.From, at, // SET
			handle, at, r.From, r.Version) // WHERE
	})
	if err != nil {
		return false, wrap(ctx, "rotate", err)
	}
	return res.RowsAffected > 0, nil
}
