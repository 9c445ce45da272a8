package gormstore

import (
	"context"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

var _ core.LiveCounter = (*Store)(nil)

// CountLive implements core.LiveCounter with one statement,
//
//	SELECT count(*) FROM sessions WHERE revoked = false AND expires_at > ?
//
// No index answers it alone: the database reads the range expires_at > now of the
// expires_at index and each row it points to (to check revoked) or, when most rows are
// unexpired, as they usually are once the janitor runs, the whole table (PostgreSQL's plan
// over 100,000 sessions, nine in ten live, is a sequential scan; docs/GORM.md). Either way the
// cost grows with the table. It is meant for an operator's dashboard, not for every request:
// on a table of millions of sessions, cache the number for a while. (An index on
// (revoked, expires_at) would make it an index-only count, at the price of one more index
// updated by every refresh; the store does not create one.)
func (s *Store) CountLive(ctx context.Context, now time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, wrap(ctx, "count live", err)
	}
	var n int64
	err := s.table(ctx).Where("revoked = false AND expires_at > ?", dbTime(now)).Count(&n).Error
	if err != nil {
		return 0, wrap(ctx, "count live", err)
	}
	return n, nil
}
