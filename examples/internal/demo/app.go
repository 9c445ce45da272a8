package demo

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ratchetauth/ratchet/core"
	promratchet "github.com/ratchetauth/ratchet/metrics/prometheus"
	gormstore "github.com/ratchetauth/ratchet/stores/gorm"
	"github.com/ratchetauth/ratchet/stores/gorm/pglisten"
)

// App is what an example needs: its settings and a ready engine over the GORM store.
type App struct {
	Settings Settings
	Engine   *core.Engine
	Database Database
	Pool     Pool           // the database pool's bounds
	SQL      *sql.DB        // the pool itself (the store's *gorm.DB runs on it)
	Keys     string         // where the signing keys live, for the banner
	Metrics  http.Handler   // GET /metrics (Prometheus) with METRICS=1; nil otherwise
	closers  []func() error // engine, key ring, store, database: in closing order
}

// Setup reads the settings from the environment, opens the database and the GORM store
// (creating the tables if needed) and builds the engine. Every error is meant to be printed
// as is: it names the variable or the database at fault.
func Setup(ctx context.Context) (*App, error) {
	s, err := FromEnv()
	if err != nil {
		return nil, err
	}
	return SetupWith(ctx, s)
}

// SetupWith is Setup with explicit settings.
func SetupWith(ctx context.Context, s Settings) (*App, error) {
	dbc, err := ParseDatabaseURL(s.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if dbc.File == "" && s.KEK == nil {
		// Without a shared KEK every instance would sign with keys of its own, in memory, and
		// refuse the others' access tokens (and its own after a restart).
		return nil, fmt.Errorf("%s is required with a network database (%s): every instance of the app must "+
			"share the signing keys, sealed in the database under the same key-encryption key; generate one "+
			"with `openssl rand -base64 32` and give every instance the same value", core.KEKEnv, dbc.Kind)
	}
	pool, err := s.Pool(dbc.Kind)
	if err != nil {
		return nil, err
	}
	db, err := dbc.Open(ctx, pool)
	if err != nil {
		return nil, err
	}
	sqlDB, _ := db.DB()
	a := &App{Settings: s, Database: dbc, Pool: pool, SQL: sqlDB, closers: []func() error{sqlDB.Close}}
	store, err := gormstore.New(db, gormstore.Options{AutoMigrate: true, JanitorInterval: 10 * time.Minute})
	if err != nil {
		_ = a.Close()
		return nil, fmt.Errorf("database %s: %w", dbc.Display, err)
	}
	a.closers = append([]func() error{store.Close}, a.closers...)
	cfg := s.EngineConfig(store)
	var metrics *promratchet.Metrics
	if s.Metrics {
		if metrics, a.Metrics, err = newMetrics(); err != nil {
			_ = a.Close()
			return nil, err
		}
		cfg.Observer = metrics
	}
	if dbc.Kind == "postgres" {
		// Revocations and key changes reach every instance in milliseconds (LISTEN/NOTIFY);
		// the revocation poll stays on as the fallback.
		cfg.ChangeNotifier = pglisten.New(dbc.DSN, store.NotifyChannel(), pglisten.WithApplicationName("ratchet-demo-listener"))
	}
	switch {
	case s.KEK != nil:
		ring, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: s.KEK.Current, PreviousKEKs: s.KEK.Previous})
		if err != nil {
			_ = a.Close()
			return nil, fmt.Errorf("signing keys in database %s: %w", dbc.Display, err)
		}
		a.closers = append([]func() error{ring.Close}, a.closers...)
		cfg.Keys = ring
		a.Keys = "in the database, sealed under " + core.KEKEnv
	default:
		// Local SQLite: a development KEK in a 0600 file next to the database, created at first
		// run, keeps the signing keys (and so the sessions) across restarts with no setup. Network
		// databases never get here: a shared database must never meet keys sealed under a
		// stranger's development KEK.
		if ring, desc := devKeyRing(ctx, store, dbc.File+".kek"); ring != nil {
			a.closers = append([]func() error{ring.Close}, a.closers...)
			cfg.Keys, a.Keys = ring, desc
		} else {
			// Per-process keys, chosen explicitly (core.New refuses to invent them over a
			// database that could share keys): fine for one local process, whose clients
			// refresh once after a restart.
			if cfg.Keys, err = core.NewEphemeralKeyRing(""); err != nil {
				_ = a.Close()
				return nil, err
			}
			a.Keys = desc
		}
	}
	if a.Engine, err = core.New(cfg); err != nil {
		_ = a.Close()
		return nil, err
	}
	a.closers = append([]func() error{a.Engine.Close}, a.closers...)
	if metrics != nil {
		metrics.Watch(a.Engine) // the scrape reads the engine's Stats
	}
	return a, nil
}

// EngineConfig is the engine configuration for these settings over store.
func (s Settings) EngineConfig(store core.Store) core.Config {
	grace := s.RotationGrace
	if s.NoRotationGrace {
		grace = time.Nanosecond // the engine reads 0 as "default"; 1 ns is no window at all
	}
	return core.Config{
		Store:          store,
		AccessTTL:      s.AccessTTL,
		ClockSkew:      s.ClockSkew,
		RotationGrace:  grace,
		AllowedOrigins: []string{s.WebsiteOrigin},
		APIOrigin:      cmp.Or(s.APIOrigin, "http://"+s.Addr),
		Authenticate:   s.Authenticate,
		// The admin API and dashboard at /auth/admin/, for admin@example.com (docs/ADMIN.md).
		Admin: &core.AdminConfig{Allow: IsAdmin, FindUsers: FindUsers},
		// The contract: the examples throttle failed sign-ins only (generously, so that demo
		// users and black-box test suites are not locked out), never refreshes.
		RateLimits: core.RateLimits{
			SignInPerIP:          core.NewMemoryLimiter(100, 5*time.Minute, nil),
			SignInPerAccount:     core.NewMemoryLimiter(20, 15*time.Minute, nil),
			RefreshFailuresPerIP: core.NoLimit(),
		},
	}
}

// Close stops the engine's and the key ring's background work and the store's janitor, then
// closes the database. Calling it again does nothing.
func (a *App) Close() error {
	var errs []error
	for _, c := range a.closers {
		errs = append(errs, c())
	}
	a.closers = nil
	return errors.Join(errs...)
}

// Banner is printed at start: the URL, the demo credentials and a warning.
func (a *App) Banner(framework string) string {
	s := a.Settings
	b := fmt.Sprintf("ratchet %s demo: open http://%s/\n  storage:    %s\n  pool:       %s\n  keys:       %s\n",
		framework, s.Addr, a.Database.Display, a.Pool, a.Keys)
	t := s.Timeouts.OrDefault()
	b += fmt.Sprintf("  timeouts:   header %s, read %s, write %s, idle %s\n", t.ReadHeader, t.Read, t.Write, t.Idle)
	if a.Metrics != nil {
		b += fmt.Sprintf("  metrics:    http://%s/metrics (METRICS=1; unauthenticated: keep it on your monitoring network)\n", s.Addr)
	}
	if s.APIOrigin != "" && s.APIOrigin != "http://"+s.Addr { // set to something else than the default
		b += fmt.Sprintf("  api origin: %s (API_ORIGIN: the access tokens' issuer; every instance must use the same)\n", s.APIOrigin)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	publicAPI := s.APIOrigin != "" && s.APIOrigin != "http://"+s.Addr
	if s.WebsiteOrigin != "http://"+s.Addr {
		b += fmt.Sprintf("  website:    %s (WEBSITE_ORIGIN: the only origin allowed to sign in and call the API)\n", s.WebsiteOrigin)
	} else if publicAPI || host == "" || host == "0.0.0.0" || host == "::" {
		b += "  note:       set WEBSITE_ORIGIN to the URL you open in the browser; sign-in checks the Origin\n"
	}
	return b + fmt.Sprintf("  demo users: alice@example.com and bob@example.com, password %q\n"+
		"  WARNING: demo credentials and settings, for local development only.\n", s.DemoPassword)
}

// Server is what Run serves with: *http.Server fits, and Fiber's app through a small wrapper.
type Server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// Run listens on the settings' address, prints the banner, serves until SIGINT or SIGTERM,
// then shuts the server down gracefully (up to 5 s) and closes the store.
func (a *App) Run(framework string, srv Server) error {
	defer a.Close()
	ln, err := net.Listen("tcp", a.Settings.Addr)
	if err != nil {
		return fmt.Errorf("ADDR=%s: %w", a.Settings.Addr, err)
	}
	fmt.Print(a.Banner(framework))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stop()
	log.Print("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	if err := a.Close(); err != nil {
		return fmt.Errorf("closing the store: %w", err)
	}
	log.Print("stopped cleanly")
	return nil
}

// HTTPServer is the *http.Server the net/http, Gin and Echo examples serve with: every
// timeout set (Settings.Timeouts), so a client that trickles its headers or its body, or
// keeps an idle connection open, loses the connection.
func (a *App) HTTPServer(h http.Handler) *http.Server {
	t := a.Settings.Timeouts.OrDefault()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
	}
}

// Main runs setup and serve and exits with a message on failure. serve builds the framework's
// server around the ready app.
func Main(framework string, build func(*App) Server) {
	a, err := Setup(context.Background())
	if err == nil {
		err = a.Run(framework, build(a))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ratchet %s demo: %v\n", framework, err)
		os.Exit(1)
	}
}

// devKeyRing opens the store's key ring under a development KEK kept in path. If the file
// cannot be used, or the stored keys were sealed under another KEK (the file was deleted), it
// returns nil and the reason, and the app falls back to per-process keys in memory.
func devKeyRing(ctx context.Context, store core.Store, path string) (*core.StoreKeyRing, string) {
	kek, created, err := core.DevKEKFile(path)
	if err != nil {
		return nil, "in memory (development KEK unusable: " + err.Error() + ")"
	}
	ring, err := core.NewStoreKeyRing(ctx, store, core.KeyRingOptions{KEK: kek})
	if err != nil {
		return nil, "in memory (the stored keys were sealed under another KEK than " + path + ")"
	}
	note := "existing"
	if created {
		note = "created now"
	}
	return ring, "in the database, sealed under the DEVELOPMENT-ONLY key in " + path + " (" + note + "); set " + core.KEKEnv + " in production"
}
