package gormstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/ratchetauth/ratchet/core"
)

// startJanitor runs DeleteExpired every opts.JanitorInterval, with the store's clock, and then
// prunes the audit log to the store's audit retention (unless it is negative), until Close.
func (s *Store) startJanitor(opts Options) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	report := opts.OnJanitor
	if report == nil {
		report = func(_ int64, err error) {
			if err != nil {
				log.Warn("gormstore: janitor failed to delete expired sessions", "table", s.sessions, "error", err)
			}
		}
	}
	reportAudit := opts.OnAuditPrune
	if reportAudit == nil {
		reportAudit = func(_ int64, err error) {
			if err != nil {
				log.Warn("gormstore: janitor failed to delete old audit events", "table", s.events, "error", err)
			}
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	s.janitorStop, s.janitorDone = stop, make(chan struct{})
	go func() {
		defer close(s.janitorDone)
		t := time.NewTicker(opts.JanitorInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			now := s.clock.Now()
			n, err := s.DeleteExpired(ctx, now)
			if ctx.Err() != nil {
				return // stopped mid-run by Close: not a failure worth reporting
			}
			report(n, err)
			if s.auditRetention < 0 {
				continue
			}
			n, err = s.DeleteEventsBefore(ctx, now.Add(-s.auditRetention))
			if ctx.Err() != nil {
				return
			}
			reportAudit(n, err)
		}
	}()
}

type systemClock struct{}

// Now returns the wall-clock time.
func (systemClock) Now() time.Time { return time.Now() }

var _ core.Clock = systemClock{}

// Close stops the janitor, if any, cancelling a run in progress, and waits for its goroutine
// to exit. It does not close the *gorm.DB, which belongs to the app. Close is idempotent and
// always returns nil; the store stays usable for explicit calls afterwards.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.janitorStop != nil {
			s.janitorStop()
			<-s.janitorDone
		}
	})
	return nil
}
