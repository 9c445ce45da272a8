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
	set := map[string]any{
		"history":        gorm.Expr(rotateHistory[s.dialect], r.Entry, r.Entry, r.HistoryMax),
		"previous_hash":  r.From,
		"current_hash":   r.To,
		"rotated_at":     dbTime(r.At),
		"last_active_at": dbTime(r.At),
		"expires_at":     dbTime(r.ExpiresAt),
		"write_seq":      gorm.Expr("write_seq + 1"),
	}
	res := s.table(ctx).
		Where("handle = ? AND revoked = false AND expires_at > ? AND current_hash = ? AND version = ?",
			handle, dbTime(r.At), r.From, r.Version).
		Where("(previous_hash = '' OR substr(history, 1, 64) = previous_hash)").
		Updates(set)
	if res.Error != nil {
		return false, wrap(ctx, "rotate", res.Error)
	}
	return res.RowsAffected > 0, nil
}
