package gormstore

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// errBadCursor is returned for a cursor this store did not produce.
var errBadCursor = errors.New("gormstore: malformed revocation cursor")

// feedPos is a position in the revocation feed's order, (revoked_at, handle). The position
// (t, "") lies before every revocation at t, since handles are never empty.
type feedPos struct {
	at     time.Time
	handle string
}

// encode renders the position as an opaque cursor: "1:<revoked_at in Unix µs>:<handle in
// unpadded base64url>".
func (p feedPos) encode() string {
	return "1:" + strconv.FormatInt(p.at.UnixMicro(), 10) + ":" + base64.RawURLEncoding.EncodeToString([]byte(p.handle))
}

func parseCursor(c string) (feedPos, error) {
	v, rest, ok := strings.Cut(c, ":")
	if !ok || v != "1" {
		return feedPos{}, errBadCursor
	}
	us, h, ok := strings.Cut(rest, ":")
	if !ok {
		return feedPos{}, errBadCursor
	}
	n, err := strconv.ParseInt(us, 10, 64)
	if err != nil {
		return feedPos{}, errBadCursor
	}
	handle, err := base64.RawURLEncoding.Strict().DecodeString(h)
	if err != nil {
		return feedPos{}, errBadCursor
	}
	return feedPos{at: time.UnixMicro(n).UTC(), handle: string(handle)}, nil
}

// atLeast returns p, or (t, "") if p lies before t. It never compares handles in Go: the
// database's collation orders them, not Go's byte order.
func (p feedPos) atLeast(t time.Time) feedPos {
	if p.at.Before(t) {
		return feedPos{at: t}
	}
	return p
}

type feedRow struct {
	Handle    key       `gorm:"column:handle"`
	RevokedAt time.Time `gorm:"column:revoked_at"`
}

// RevokedSince implements core.RevocationFeed with one SELECT on the (revoked_at, handle)
// index:
//
//	SELECT handle, revoked_at FROM sessions WHERE (revoked_at, handle) > (?, ?)
//	 ORDER BY revoked_at, handle LIMIT <FeedPageSize>
//
// (on MySQL/MariaDB spelled revoked_at > ? OR (revoked_at = ? AND handle > ?)). The cursor is
// a position in that order. An empty cursor starts at now − lookback, now being the store's
// clock; a cursor older than that is moved up to it as well, since the access tokens of
// sessions revoked earlier have expired (lookback ≤ 0 disables this).
//
// revoked_at is written by each revoking instance's clock, before its statement commits, so
// a revocation can become visible after rows with later timestamps have been read. The next
// cursor therefore never passes now − FeedOverlap: everything after that is read again by the
// next call, and reported again (the contract allows duplicates). When the page is full, the
// cursor moves to the last row returned, so that the next call continues where this one
// stopped, unless that row is within the overlap; then the next call re-reads the page, and
// moves on once the clock has passed it by FeedOverlap.
//
// A malformed cursor is an error.
func (s *Store) RevokedSince(ctx context.Context, cursor string, lookback time.Duration) ([]string, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", wrap(ctx, "revocation feed", err)
	}
	now := s.now()
	floor := now.Add(-max(lookback, 0))
	pos := feedPos{at: floor}
	if cursor != "" {
		p, err := parseCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		pos = p
		if lookback > 0 {
			pos = p.atLeast(floor)
		}
	}

	q := s.table(ctx).Select("handle, revoked_at")
	if s.dialect == dialectMySQL {
		// MySQL's and MariaDB's range optimiser turns this OR into one range of the composite
		// index; a row-value comparison would not use the handle part.
		q = q.Where("revoked_at > ? OR (revoked_at = ? AND handle > ?)", pos.at, pos.at, pos.handle)
	} else {
		q = q.Where("(revoked_at, handle) > (?, ?)", pos.at, pos.handle)
	}
	var rows []feedRow
	if err := q.Order("revoked_at, handle").Limit(s.feedPageSize).Find(&rows).Error; err != nil {
		return nil, "", wrap(ctx, "revocation feed", err)
	}

	safe := now.Add(-s.feedOverlap)
	next := pos.atLeast(safe)
	if len(rows) == s.feedPageSize {
		if last := rows[len(rows)-1]; last.RevokedAt.Before(safe) {
			next = feedPos{at: dbTime(last.RevokedAt), handle: string(last.Handle)}
		}
	}
	if len(rows) == 0 {
		return nil, next.encode(), nil
	}
	handles := make([]string, len(rows))
	for i, r := range rows {
		handles[i] = string(r.Handle)
	}
	return handles, next.encode(), nil
}
