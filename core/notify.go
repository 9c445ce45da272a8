package core

import (
	"context"
	"time"
)

// ChangeNotifier pushes the changes that other instances commit to the store (revocations,
// key-ring changes) to this engine as they happen, so that it does not have to wait for its
// next revocation poll or key-ring reload. On PostgreSQL the gormstore package sends the
// notifications (NOTIFY) and stores/gorm/pglisten receives them (LISTEN). Polling stays on as
// the fallback: a notification that is lost (the listener was reconnecting) is caught by the
// next poll.
type ChangeNotifier interface {
	// Listen delivers notifications to fn, in order, until ctx ends (it then returns nil) or
	// the connection fails (it returns the error, and the engine calls Listen again after a
	// pause). fn must not be called after Listen returns.
	Listen(ctx context.Context, fn func(Notification)) error
}

// Notification kinds.
const (
	// NotifyRevoked: sessions were revoked. Handles lists them when the sender knew them all;
	// empty means "several; read the revocation feed".
	NotifyRevoked = "revoked"
	// NotifyKeys: the signing-key ring changed (a key was added, rotated in or revoked).
	NotifyKeys = "keys"
)

// Notification is one change another instance committed.
type Notification struct {
	Kind    string
	Handles []string
}

// keyReloader is what the engine needs of a key ring to act on NotifyKeys (StoreKeyRing).
type keyReloader interface {
	Reload(ctx context.Context) error
}

// handleNotification applies one notification.
func (e *Engine) handleNotification(ctx context.Context, n Notification) {
	switch n.Kind {
	case NotifyRevoked:
		valid := n.Handles[:0:0]
		for _, h := range n.Handles {
			if ValidHandle(h) {
				valid = append(valid, h)
			}
		}
		if len(valid) > 0 && len(valid) == len(n.Handles) {
			e.noteRevoked(valid...)
			return
		}
		if err := e.pollRevocations(ctx); err != nil {
			e.log.WarnContext(ctx, "ratchet: revocation feed unavailable after a notification", "err", err)
		}
	case NotifyKeys:
		if r, ok := e.cfg.Keys.(keyReloader); ok {
			if err := r.Reload(ctx); err != nil {
				e.log.WarnContext(ctx, "ratchet: key ring reload after a notification failed", "err", err)
			}
		}
	}
}

// startListener runs the ChangeNotifier until Close, reconnecting after failures with a
// growing pause (0.5 s up to 10 s). While it is down, polling alone keeps the engine current.
func (e *Engine) startListener(n ChangeNotifier) {
	ctx, cancel := context.WithCancel(context.Background())
	e.listenCancel, e.listenDone = cancel, make(chan struct{})
	go func() {
		defer close(e.listenDone)
		pause := 500 * time.Millisecond
		for {
			err := n.Listen(ctx, func(note Notification) { e.handleNotification(ctx, note) })
			if ctx.Err() != nil {
				return
			}
			e.log.Warn("ratchet: change notifications interrupted; polling until they are back", "err", err, "retry_in", pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(pause*2, 10*time.Second)
		}
	}()
}
