package core

import (
	"context"
	"strconv"
	"time"
)

type adminHour struct {
	Start          int64 `json:"start"`
	SignIns        int64 `json:"signIns"`
	SignInFailures int64 `json:"signInFailures"`
	Refreshes      int64 `json:"refreshes"`
	Thefts         int64 `json:"thefts"`
	Revocations    int64 `json:"revocations"`
}

type adminAuditStats struct {
	Enabled bool   `json:"enabled"`
	Queued  int    `json:"queued"`
	Written uint64 `json:"written"`
	Dropped uint64 `json:"dropped"`
	Failed  uint64 `json:"failed"`
}

// Bounds of the stats route's hours parameter.
const (
	defaultAdminHours = 24
	maxAdminHours     = 7 * 24
)

func (e *Engine) serveAdminStats(ctx context.Context, req Request, resp Response, _ string) {
	ctx, q, ok := e.adminRead(ctx, req, resp)
	if !ok {
		return
	}
	var err error
	hours := defaultAdminHours
	if v := q.Get("hours"); v != "" {
		if hours, err = strconv.Atoi(v); err != nil || hours < 1 || hours > maxAdminHours {
			e.WriteError(ctx, req, resp, &Error{Kind: ErrBadRequest, Reason: "hours must be 1 to 168"})
			return
		}
	}
	now := e.cfg.Clock.Now().UTC()
	out := map[string]any{"now": now.UnixMilli(), "liveSessions": nil, "hours": nil}
	if lc, ok := e.cfg.Store.(LiveCounter); ok {
		n, err := lc.CountLive(ctx, now)
		if err != nil {
			e.WriteError(ctx, req, resp, storeErr("count live sessions", err))
			return
		}
		out["liveSessions"] = n
	}
	if ec, ok := e.cfg.Store.(EventCounter); ok && e.auditW != nil {
		buckets, err := e.hourlyCounts(ctx, ec, now, hours)
		if err != nil {
			e.WriteError(ctx, req, resp, storeErr("count events", err))
			return
		}
		out["hours"] = buckets
	}
	out["audit"] = adminAuditStats(e.AuditStats())
	resp.Write(200, contentJSON, mustJSON(out))
}

// hourlyCounts counts the last hours whole hours plus the current one, oldest first.
func (e *Engine) hourlyCounts(ctx context.Context, ec EventCounter, now time.Time, hours int) ([]adminHour, error) {
	first := now.Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	out := make([]adminHour, 0, hours)
	for start := first; !start.After(now); start = start.Add(time.Hour) {
		c, err := ec.CountEvents(ctx, start, start.Add(time.Hour))
		if err != nil {
			return nil, err
		}
		out = append(out, adminHour{Start: start.UnixMilli(), SignIns: c[EventSignIn], SignInFailures: c[EventSignInFailed],
			Refreshes: c[EventRefresh], Thefts: c[EventTokenTheft], Revocations: c[EventRevoked]})
	}
	return out, nil
}
