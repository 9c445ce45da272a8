package gormtest

// Pushed revocations on PostgreSQL (docs/GORM.md "Instant revocation on PostgreSQL"): the
// store NOTIFYs after every committed revocation and key-ring change, stores/gorm/pglisten
// LISTENs and hands the notifications to the engine. Two instances (engines, each with its
// own store and connection pool) share one fresh schema; their revocation poll runs once an
// hour and their key rings never reload by themselves, so only the push can explain another
// instance's refusal. The tests assert outcomes, waiting for them in bounded loops; no
// timing is asserted.

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/ratchetauth/ratchet/core"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/stores/gorm/pglisten"
	"github.com/ratchetauth/ratchet/tests/testdb"
)

// pushWait bounds every wait for a pushed change: a safety net against a hung test, far
// above any plausible delivery, and far below the hour-long poll.
const pushWait = 30 * time.Second

// noPoll is the revocation poll interval of the push tests: long enough that no poll runs.
const noPoll = time.Hour

// pairOpts configures newPair.
type pairOpts struct {
	poll      time.Duration // the engines' RevocationPollInterval (negative: off)
	push      bool          // a pglisten listener on each engine
	storeRing bool          // a core.StoreKeyRing per instance (shared KEK) instead of one static key
	clock     core.Clock    // the engines' (and rings') clock; nil: the system clock
	backend   string        // "" or "postgres"; another database (polling only, no push)
}

// instance is one of two app instances sharing a database.
type instance struct {
	store  *gormstore.Store
	engine *core.Engine
	ring   *core.StoreKeyRing // when pairOpts.storeRing
	app    string             // the listener's application_name, when pairOpts.push
}

// pgPair is two instances on one fresh PostgreSQL schema, plus what the tests need to look
// at the server.
type pgPair struct {
	a, b  *instance
	dsn   string
	admin *sql.DB
}

// newPair opens two stores on one fresh PostgreSQL schema (two pools, as two processes would
// have) and an engine on each. Cleanups close the engines first, then the rings, then the
// stores.
func newPair(t testing.TB, o pairOpts) *pgPair {
	t.Helper()
	pg := postgresBackend(t)
	var admin *sql.DB
	if o.backend != "" && o.backend != pg.name {
		if o.push {
			t.Fatalf("newPair: the push needs PostgreSQL, not %s", o.backend)
		}
		for _, b := range backends {
			if b.name == o.backend {
				pg = b
			}
		}
	} else {
		admin = testdb.Admin(t, testdb.Postgres)
	}
	db, dsn := pg.open(t, testdb.Quiet())
	sa, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	sb := secondInstance(t, pg, dsn)
	t.Cleanup(func() { _ = sa.Close(); _ = sb.Close() })
	if o.backend == "" && (sa.NotifyChannel() == "" || sa.NotifyChannel() != sb.NotifyChannel()) {
		t.Fatalf("channels %q and %q: want one, non-empty", sa.NotifyChannel(), sb.NotifyChannel())
	}
	quiet := slog.New(slog.DiscardHandler)
	var static core.KeyRing
	var kek []byte
	if o.storeRing {
		kek, _ = core.NewKEK()
	} else {
		key, err := core.GenerateKey(core.AlgEdDSA)
		if err != nil {
			t.Fatal(err)
		}
		if static, err = core.NewStaticKeyRing(key); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(s *gormstore.Store) *instance {
		in := &instance{store: s}
		cfg := core.Config{Store: s, Keys: static, RevocationPollInterval: o.poll, Logger: quiet}
		if o.clock != nil {
			cfg.Clock = o.clock
		}
		if o.storeRing {
			r, err := core.NewStoreKeyRing(context.Background(), s, core.KeyRingOptions{
				KEK: kek, ReloadInterval: -1, Clock: o.clock, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = r.Close() })
			in.ring, cfg.Keys = r, r
		}
		if o.push {
			in.app = testdb.UniqueName("rt_listen_")
			cfg.ChangeNotifier = pglisten.New(dsn, s.NotifyChannel(), pglisten.WithApplicationName(in.app), pglisten.WithLogger(quiet))
		}
		e, err := core.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		in.engine = e
		return in
	}
	p := &pgPair{a: mk(sa), b: mk(sb), dsn: dsn, admin: admin}
	if o.push {
		p.listening(t, p.a, 0)
		p.listening(t, p.b, 0)
	}
	return p
}

// listening waits until in's listener has run LISTEN on a backend other than notPID (0:
// any) and returns that backend's pid. Notifications sent from then on reach it.
func (p *pgPair) listening(t testing.TB, in *instance, notPID int) int {
	t.Helper()
	deadline := time.Now().Add(pushWait)
	for {
		var pids []int
		rows, err := p.admin.Query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle' AND query LIKE 'LISTEN %'", in.app)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				t.Fatal(err)
			}
			pids = append(pids, pid)
		}
		_ = rows.Close()
		if i := slices.IndexFunc(pids, func(pid int) bool { return pid != notPID }); i >= 0 {
			return pids[i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener %s is not listening after %s", in.app, pushWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// eventually polls cond until it holds, failing the test after pushWait.
func eventually(t testing.TB, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(pushWait)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not so after %s: %v", what, pushWait, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// refused is a condition for eventually: e refuses the access token as revoked.
func refused(ctx context.Context, e *core.Engine, access string) func() error {
	return func() error {
		_, err := e.VerifyAccessToken(ctx, access, core.VerifyOptions{})
		switch {
		case errors.Is(err, core.ErrUnauthorised):
			return nil
		case err == nil:
			return errors.New("accepted")
		default:
			return err
		}
	}
}

func mustVerify(t testing.TB, e *core.Engine, access string) {
	t.Helper()
	if _, err := e.VerifyAccessToken(context.Background(), access, core.VerifyOptions{}); err != nil {
		t.Fatalf("a live session is refused: %v", err)
	}
}

// TestPushRevocation: each way of revoking sessions on instance A reaches instance B's
// stateless Verify through the push.
func TestPushRevocation(t *testing.T) {
	ctx := context.Background()
	issue := func(t *testing.T, e *core.Engine, user string) *core.Tokens {
		t.Helper()
		tk, err := e.IssueTokens(ctx, user, core.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	t.Run("RevokeSession", func(t *testing.T) {
		p := newPair(t, pairOpts{poll: noPoll, push: true})
		tk := issue(t, p.a.engine, "u1")
		other := issue(t, p.a.engine, "u1")
		mustVerify(t, p.b.engine, tk.AccessToken)
		if ok, err := p.a.engine.RevokeSession(ctx, tk.Handle); !ok || err != nil {
			t.Fatalf("RevokeSession = %v, %v", ok, err)
		}
		eventually(t, "B refuses the revoked session", refused(ctx, p.b.engine, tk.AccessToken))
		mustVerify(t, p.b.engine, other.AccessToken)
	})
	t.Run("RevokeAllForUser", func(t *testing.T) {
		p := newPair(t, pairOpts{poll: noPoll, push: true})
		var tks []*core.Tokens
		for range 3 {
			tks = append(tks, issue(t, p.a.engine, "u2"))
		}
		bystander := issue(t, p.b.engine, "u3")
		for _, tk := range tks {
			mustVerify(t, p.b.engine, tk.AccessToken)
		}
		hs, err := p.a.engine.RevokeAllForUser(ctx, "u2")
		if err != nil || len(hs) != 3 {
			t.Fatalf("RevokeAllForUser = %v, %v", hs, err)
		}
		for _, tk := range tks {
			eventually(t, "B refuses each revoked session", refused(ctx, p.b.engine, tk.AccessToken))
		}
		mustVerify(t, p.b.engine, bystander.AccessToken)
	})
	t.Run("Theft", func(t *testing.T) {
		clk := core.NewFakeClock(time.Now().UTC())
		p := newPair(t, pairOpts{poll: noPoll, push: true, clock: clk})
		tk1 := issue(t, p.a.engine, "u4")
		tk2, err := p.a.engine.RefreshTokens(ctx, tk1.RefreshToken, core.RefreshMeta{})
		if err != nil {
			t.Fatal(err)
		}
		mustVerify(t, p.b.engine, tk2.AccessToken)
		clk.Advance(core.DefaultRotationGrace + time.Second) // the old token is past its grace
		if _, err := p.a.engine.RefreshTokens(ctx, tk1.RefreshToken, core.RefreshMeta{}); !errors.Is(err, core.ErrTokenTheft) {
			t.Fatalf("replayed refresh token: %v, want token theft", err)
		}
		eventually(t, "B refuses the stolen session", refused(ctx, p.b.engine, tk2.AccessToken))
	})
	t.Run("RevokeAllSessions", func(t *testing.T) {
		p := newPair(t, pairOpts{poll: noPoll, push: true})
		var tks []*core.Tokens
		for i := range 4 {
			tks = append(tks, issue(t, p.b.engine, fmt.Sprintf("u%d", i)))
		}
		for _, tk := range tks {
			mustVerify(t, p.b.engine, tk.AccessToken)
		}
		if n, err := p.a.engine.RevokeAllSessions(ctx); n != 4 || err != nil {
			t.Fatalf("RevokeAllSessions = %d, %v", n, err)
		}
		// The notification carries no handles: B reads the feed.
		for _, tk := range tks {
			eventually(t, "B refuses every session", refused(ctx, p.b.engine, tk.AccessToken))
		}
	})
}

// tokenKid reads the kid from an access token's header.
func tokenKid(t testing.TB, access string) string {
	t.Helper()
	head, _, _ := strings.Cut(access, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// TestPushKeyRevocation: a key revoked through ring A is dropped by instance B at once: B
// stops signing with it and refuses the tokens it signed. B's ring never reloads by itself
// (ReloadInterval −1) and knows the kid, so no unknown-kid reload happens either.
func TestPushKeyRevocation(t *testing.T) {
	ctx := context.Background()
	p := newPair(t, pairOpts{poll: noPoll, push: true, storeRing: true})
	tk, err := p.b.engine.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kid := tokenKid(t, tk.AccessToken)
	mustVerify(t, p.b.engine, tk.AccessToken)
	mustVerify(t, p.a.engine, tk.AccessToken)
	if err := p.a.ring.RevokeKey(ctx, kid); err != nil {
		t.Fatal(err)
	}
	eventually(t, "B refuses the revoked key's tokens and signs with another key", func() error {
		if _, err := p.b.engine.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); err == nil {
			return errors.New("B accepts a token of the revoked key")
		}
		sk, err := p.b.ring.SigningKey()
		if err != nil {
			return err
		}
		if sk.ID == kid {
			return errors.New("B still signs with the revoked key")
		}
		return nil
	})
	if _, err := p.b.engine.VerifyAccessToken(ctx, tk.AccessToken, core.VerifyOptions{}); !errors.Is(err, core.ErrTryRefresh) && !errors.Is(err, core.ErrUnauthorised) {
		t.Fatalf("B on a token of the revoked key: %v", err)
	}
	fresh, err := p.b.engine.IssueTokens(ctx, "u2", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenKid(t, fresh.AccessToken); got == kid {
		t.Fatalf("B signed a new token with the revoked key %s", kid)
	}
	// A learns the replacement (whoever created it) through the push as well.
	eventually(t, "A accepts B's new token", func() error {
		_, err := p.a.engine.VerifyAccessToken(ctx, fresh.AccessToken, core.VerifyOptions{})
		return err
	})
	mustVerify(t, p.b.engine, fresh.AccessToken)
}

// TestPushReconnect: when the listener's backend is terminated, the engine reconnects, and a
// revocation made after the reconnect is still pushed.
func TestPushReconnect(t *testing.T) {
	ctx := context.Background()
	p := newPair(t, pairOpts{poll: noPoll, push: true})
	pid := p.listening(t, p.b, 0)
	var killed bool
	if err := p.admin.QueryRow("SELECT pg_terminate_backend($1)", pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	newPID := p.listening(t, p.b, pid)
	t.Logf("listener backend %d terminated; reconnected as %d", pid, newPID)
	tk, err := p.a.engine.IssueTokens(ctx, "u1", core.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mustVerify(t, p.b.engine, tk.AccessToken)
	if ok, err := p.a.engine.RevokeSession(ctx, tk.Handle); !ok || err != nil {
		t.Fatalf("RevokeSession = %v, %v", ok, err)
	}
	eventually(t, "B refuses the session revoked after the reconnect", refused(ctx, p.b.engine, tk.AccessToken))
}

// rawListener listens on a channel with a plain pgx connection, to read the payloads as sent.
type rawListener struct {
	t       *testing.T
	conn    *pgx.Conn
	channel string
	n       int
}

func listenRaw(t *testing.T, dsn, channel string) *rawListener {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	if _, err := conn.Exec(context.Background(), "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	return &rawListener{t: t, conn: conn, channel: channel}
}

// next returns the next payload on the channel.
func (r *rawListener) next() string {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pushWait)
	defer cancel()
	n, err := r.conn.WaitForNotification(ctx)
	if err != nil {
		r.t.Fatalf("no notification: %v", err)
	}
	if n.Channel != r.channel {
		r.t.Fatalf("notification on %q", n.Channel)
	}
	return n.Payload
}

func (r *rawListener) expect(what, want string) {
	r.t.Helper()
	if got := r.next(); got != want {
		r.t.Fatalf("%s: payload %.80q, want %.80q", what, got, want)
	}
}

// expectNone checks that nothing was sent: a marker sent now must be the next payload.
func (r *rawListener) expectNone(what string) {
	r.t.Helper()
	r.n++
	marker := fmt.Sprintf("marker-%d", r.n)
	if _, err := r.conn.Exec(context.Background(), "SELECT pg_notify($1, $2)", r.channel, marker); err != nil {
		r.t.Fatal(err)
	}
	r.expect(what+" (nothing sent)", marker)
}

// TestNotifyPayloads: what the store sends, and when: a payload after every revocation and
// every key change that changed a row, nothing otherwise.
func TestNotifyPayloads(t *testing.T) {
	ctx := context.Background()
	db, dsn := postgresBackend(t).open(t, testdb.Quiet())
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := listenRaw(t, dsn, s.NotifyChannel())
	now := time.Now().UTC()

	one := record("u1", now)
	mustCreate(t, s, one)
	l.expectNone("Create")
	if ok, err := s.Update(ctx, one.Handle, core.Cond{}, core.Change{LastActiveAt: now.Add(time.Second)}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expectNone("an update that revokes nothing")
	if ok, err := s.Update(ctx, one.Handle, core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expect("Update with Revoke", "revoked:"+one.Handle)
	if ok, err := s.Update(ctx, one.Handle, core.Cond{}, core.Change{Revoke: true}); ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expectNone("revoking a revoked session")

	var few []string
	for range 3 {
		r := record("u2", now)
		mustCreate(t, s, r)
		few = append(few, r.Handle)
	}
	slices.Sort(few)
	if hs, err := s.RevokeByUser(ctx, "u2", ""); len(hs) != 3 || err != nil {
		t.Fatal(hs, err)
	}
	l.expect("RevokeByUser", "revoked:"+strings.Join(few, ","))
	if hs, err := s.RevokeByUser(ctx, "u2", ""); len(hs) != 0 || err != nil {
		t.Fatal(hs, err)
	}
	l.expectNone("RevokeByUser with nothing to revoke")

	// 350 handles (22 bytes and a separator each) do not fit in 8000 bytes: read the feed.
	for range 350 {
		mustCreate(t, s, record("u3", now))
	}
	if hs, err := s.RevokeByUser(ctx, "u3", ""); len(hs) != 350 || err != nil {
		t.Fatal(len(hs), err)
	}
	l.expect("RevokeByUser beyond the payload limit", "revoked")

	mustCreate(t, s, record("u4", now), record("u5", now))
	if n, err := s.RevokeAll(ctx); n != 2 || err != nil {
		t.Fatal(n, err)
	}
	l.expect("RevokeAll", "revoked")
	if n, err := s.RevokeAll(ctx); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	l.expectNone("RevokeAll with nothing to revoke")

	k := core.StoredKey{KID: "d-1", Algorithm: core.AlgEdDSA, PublicKey: []byte("pub"), PrivateKey: []byte("sealed"),
		CreatedAt: now, SignAfter: now}
	if ok, err := s.InsertKey(ctx, k); !ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expect("InsertKey", "keys")
	if ok, err := s.InsertKey(ctx, k); ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expectNone("InsertKey of an existing kid")
	if ok, err := s.UpdateKey(ctx, k.KID, core.KeyUpdate{RetireBy: now.Add(time.Hour)}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expect("UpdateKey RetireBy", "keys")
	if ok, err := s.UpdateKey(ctx, k.KID, core.KeyUpdate{IfPrivateKey: k.PrivateKey, PrivateKey: []byte("rewrapped")}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expectNone("re-wrapping a private key")
	if ok, err := s.UpdateKey(ctx, k.KID, core.KeyUpdate{Revoke: true}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expect("UpdateKey Revoke", "keys")
	if ok, err := s.UpdateKey(ctx, k.KID, core.KeyUpdate{Revoke: true}); ok || err != nil {
		t.Fatal(ok, err)
	}
	l.expectNone("revoking a revoked key")

	// What the store sends, the listener parses into what the engine needs.
	n, ok := pglisten.Parse("revoked:" + strings.Join(few, ","))
	if !ok || n.Kind != core.NotifyRevoked || !slices.Equal(n.Handles, few) {
		t.Fatalf("Parse = %+v, %v", n, ok)
	}
}

// TestNotifyChannel: the channel is shared by the instances of one app and differs between
// apps that share a database but not tables (another TablePrefix, another schema); it is a
// short identifier; it is empty where there are no notifications.
func TestNotifyChannel(t *testing.T) {
	pg := postgresBackend(t)
	db, dsn := pg.open(t, testdb.Quiet())
	s1, err := gormstore.New(db, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	same := secondInstance(t, pg, dsn)
	prefixed, err := gormstore.New(db, gormstore.Options{TablePrefix: "app2_"})
	if err != nil {
		t.Fatal(err)
	}
	dbOther, _ := pg.open(t, testdb.Quiet()) // another schema, same table names
	otherSchema, err := gormstore.New(dbOther, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch := s1.NotifyChannel()
	if !strings.HasPrefix(ch, "ratchet_") || len(ch) > 63 || strings.ToLower(ch) != ch {
		t.Errorf("channel %q: want ratchet_…, lower case, at most 63 bytes", ch)
	}
	if same.NotifyChannel() != ch {
		t.Errorf("two instances of one app: %q and %q", ch, same.NotifyChannel())
	}
	if prefixed.NotifyChannel() == ch || otherSchema.NotifyChannel() == ch {
		t.Errorf("apps with other tables share channel %q (prefixed %q, other schema %q)", ch, prefixed.NotifyChannel(), otherSchema.NotifyChannel())
	}
	for _, s := range []*gormstore.Store{s1, same, prefixed, otherSchema} {
		_ = s.Close()
	}
	sq, _ := newStore(t, backendNamed(t, "sqlite"), gormstore.Options{})
	if c := sq.NotifyChannel(); c != "" {
		t.Errorf("SQLite channel %q, want none", c)
	}
}

func backendNamed(t testing.TB, name string) backend {
	for _, b := range backends {
		if b.name == name {
			return b
		}
	}
	t.Fatalf("no backend %s", name)
	return backend{}
}

// TestNotifyFailureIsNotAnError: a NOTIFY that fails (injected here through a GORM callback)
// leaves the committed revocation a success; the failure is logged, at most once a minute,
// and the revocation still reaches other instances through the feed.
func TestNotifyFailureIsNotAnError(t *testing.T) {
	ctx := context.Background()
	db, _ := postgresBackend(t).open(t, testdb.Quiet())
	var logs syncBuffer
	s, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = db.Callback().Raw().Before("gorm:raw").Register("test:fail_notify", func(tx *gorm.DB) {
		if strings.Contains(tx.Statement.SQL.String(), "pg_notify") {
			_ = tx.AddError(errors.New("injected NOTIFY failure"))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	r1, r2 := record("u1", now), record("u1", now)
	mustCreate(t, s, r1, r2)
	if ok, err := s.Update(ctx, r1.Handle, core.Cond{}, core.Change{Revoke: true}); !ok || err != nil {
		t.Fatalf("revocation with a failing NOTIFY: %v, %v; want true, nil", ok, err)
	}
	if hs, err := s.RevokeByUser(ctx, "u1", ""); len(hs) != 1 || err != nil {
		t.Fatalf("RevokeByUser with a failing NOTIFY: %v, %v", hs, err)
	}
	if !mustGet(t, s, r1.Handle).Revoked || !mustGet(t, s, r2.Handle).Revoked {
		t.Fatal("the revocations did not commit")
	}
	out := logs.String()
	if strings.Count(out, "change notification (NOTIFY) failed") != 1 || !strings.Contains(out, "injected NOTIFY failure") {
		t.Fatalf("want one warning (the second failure within a minute is counted, not logged):\n%s", out)
	}
	hs, _, err := s.RevokedSince(ctx, "", time.Hour)
	if err != nil || !slices.Contains(hs, r1.Handle) || !slices.Contains(hs, r2.Handle) {
		t.Fatalf("feed = %v, %v; want both handles", hs, err)
	}
}

// secondInstance opens another store on the same database through a pool of its own, as a
// second instance of the app would.
func secondInstance(t testing.TB, b backend, dsn string) *gormstore.Store {
	t.Helper()
	db, err := gorm.Open(b.dialector(dsn), testdb.Quiet())
	if err != nil {
		t.Fatal(err)
	}
	testdb.Pool(t, db)
	s, err := gormstore.New(db, gormstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
