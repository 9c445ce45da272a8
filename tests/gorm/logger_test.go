package gormtest

import (
	"context"
	"encoding/hex"
	"log"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ratchetauth/ratchet/core"
	"github.com/ratchetauth/ratchet/internal/testkit"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
)

// syncBuffer is a goroutine-safe buffer (testkit.SyncBuffer).
type syncBuffer = testkit.SyncBuffer

// verboseLogger logs every statement with its values (ParameterizedQueries off): the worst
// GORM logger an app could hand the store.
func verboseLogger(w *syncBuffer) logger.Interface {
	return logger.New(log.New(w, "", 0), logger.Config{LogLevel: logger.Info, ParameterizedQueries: false})
}

// TestLogsCarryNoValues: even over an app logger that prints values, the store's statements
// are logged with placeholders only: no user id, handle, hash, secret, IP, User-Agent, data or
// token reaches the log, from the sessions table or from the audit log.
func TestLogsCarryNoValues(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		var out syncBuffer
		db, _ := b.open(t, &gorm.Config{Logger: verboseLogger(&out)})
		s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		e, clk := newEngine(t, s)
		const user, ip, ua = "user-7f3a9c", "198.51.100.77", "SecretBrowser/9.9"
		t0, err := e.IssueTokens(ctx, user, core.CreateOptions{IP: ip, UserAgent: ua,
			Data: map[string]any{"ssn": "078-05-1120"}, Payload: map[string]any{"tier": "gold-xyz"}})
		if err != nil {
			t.Fatal(err)
		}
		rec := mustGet(t, s, t0.Handle)
		t1, err := e.RefreshTokens(ctx, t0.RefreshToken, core.RefreshMeta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.UpdateData(ctx, t0.Handle, func(m map[string]any) error { m["pin"] = "4321-9876"; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.ListSessions(ctx, user); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "NoSuchHandleAnywhere00"); err == nil {
			t.Fatal("Get(missing) succeeded")
		}
		if _, err := e.RevokeAllForUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		if _, err := e.DeleteExpired(ctx); err != nil {
			t.Fatal(err)
		}
		// The audit log: the engine's writer inserts the events above on Close; then list,
		// count and prune them, by user and by session.
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if evs, _, err := s.ListEvents(ctx, core.AuditQuery{UserID: user, Handle: t0.Handle}); err != nil || len(evs) == 0 {
			t.Fatalf("ListEvents = %d events, %v; want the engine's events", len(evs), err)
		}
		if _, err := s.CountEvents(ctx, epoch, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CountLive(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteEventsBefore(ctx, clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}

		logged := out.String()
		if !strings.Contains(logged, "UPDATE") || !strings.Contains(logged, "SELECT") || !strings.Contains(logged, "audit_events") {
			t.Fatalf("the statements were not logged at all:\n%s", logged)
		}
		for name, v := range map[string]string{
			"user id": user, "handle": t0.Handle, "IP": ip, "User-Agent": ua, "data": "078-05-1120",
			"new data": "4321-9876", "payload": "gold-xyz", "current hash": rec.CurrentHash,
			"secret": hex.EncodeToString(rec.Secret), "refresh token": t1.RefreshToken,
			"missing handle": "NoSuchHandleAnywhere00",
		} {
			if strings.Contains(logged, v) {
				t.Errorf("the log contains the %s", name)
			}
		}
	})
}
