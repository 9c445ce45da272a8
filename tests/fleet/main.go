// Command fleet runs several example instances (Gin and Fiber) against one fresh database,
// behind an in-process TCP proxy that can slow, cut or black-hole the database link, and
// drives them with simulated browsers whose tabs share one token jar. It reports, per
// scenario, unexpected logouts, lost sessions, resurrections after sign-out, latencies,
// database connections and the instances' descriptors and memory, and exits non-zero when an
// honest user was logged out, a session vanished or came back, or descriptors leaked.
//
// Run it from anywhere in the repository (make fleet, make fleet-short, or
// `go run ./fleet -db postgres`); see docs/OPERATIONS.md. Traffic goes to 127.0.0.1 only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Preset returns the configuration of a named preset: "full" (make fleet) or "short" (make
// fleet-short and the FLEET=1 test), for one database.
func Preset(name, db string) (Config, error) {
	c := Config{
		DB:           db,
		Frameworks:   []string{"gin", "fiber"},
		Tabs:         3,
		Modes:        []Mode{Uncoordinated, SDK},
		AccessTTL:    2 * time.Second,
		Pool:         4,
		Think:        200 * time.Millisecond,
		Timeout:      10 * time.Second,
		MaxRequests:  200_000,
		SignOutShare: 0.1,
		CookieShare:  0.25,
		FDSlack:      8,
		Quiesce:      15 * time.Second,
		Seed:         uint64(time.Now().UnixNano()),
		PGAdmin:      envOr("RATCHET_PG_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"),
		MySQLAdmin:   envOr("RATCHET_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/"),
		APIOrigin:    "http://127.0.0.1:1",
		WebOrigin:    "http://127.0.0.1:2",
	}
	switch name {
	case "full":
		c.Frameworks = []string{"gin", "fiber", "echov5"}
		c.Instances, c.Clients, c.Duration = 3, 12, 20*time.Second
		c.Scenarios = scenarioNames()
	case "short":
		c.Instances, c.Clients, c.Duration = 2, 6, 3*time.Second
		// Long enough for a browser to refresh a few times under load: 8 s of overload
		// reliably showed the delayed-grandparent theft of the engine before R8.
		c.Durations = map[string]time.Duration{"overload": 8 * time.Second}
		c.Quiesce = 5 * time.Second
		// No steady scenario: every other one runs steady load outside its fault's window.
		switch db {
		case "sqlite":
			c.Scenarios = []string{"kill", "overload"}
		case "mariadb":
			c.Scenarios = []string{"cut", "blackhole", "overload"}
		default:
			c.Scenarios = []string{"latency", "cut", "blackhole", "kill", "overload", "signout"}
		}
	default:
		return c, fmt.Errorf("-preset %q: want full or short", name)
	}
	if db == "sqlite" {
		c.Instances = 1
	}
	return c, nil
}

func scenarioNames() []string {
	var s []string
	for _, sc := range Scenarios {
		s = append(s, sc.Name)
	}
	return s
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// cli parses the flags, runs the fleet on each database and prints the reports. It returns
// the exit status: 0 pass, 1 failures found, 2 the run itself failed or bad flags.
func cli(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		dbs        = fs.String("db", "postgres", "databases, comma-separated: postgres, mariadb, sqlite (SQLite: one instance)")
		preset     = fs.String("preset", "full", "defaults for the flags below: full or short")
		root       = fs.String("root", "", "repository root (default: the directory with go.work above the working directory)")
		instances  = fs.Int("instances", 0, "instances (preset: full 3, short 2)")
		frameworks = fs.String("frameworks", "", "frameworks cycled over the instances (preset: full gin,fiber,echov5; short gin,fiber)")
		clients    = fs.Int("clients", 0, "simulated browsers per scenario (preset: full 12, short 6; overload multiplies)")
		tabs       = fs.Int("tabs", 0, "tabs per browser, sharing one token jar (preset 3)")
		duration   = fs.Duration("duration", 0, "load per scenario (preset: full 20s, short 3s and 8s of overload)")
		scenarios  = fs.String("scenarios", "", "scenarios, comma-separated, from: "+strings.Join(scenarioNames(), ","))
		modes      = fs.String("modes", "", "tab coordination modes: uncoordinated,sdk (preset: both, half the browsers each)")
		accessTTL  = fs.Duration("access-ttl", 0, "ACCESS_TOKEN_TTL of the instances (preset 2s)")
		pool       = fs.Int("pool", 0, "DB_MAX_OPEN_CONNS of each instance (preset 4)")
		think      = fs.Duration("think", -1, "most think time between a tab's requests (preset 200ms)")
		timeout    = fs.Duration("timeout", 0, "client timeout per request (preset 10s)")
		maxReq     = fs.Int("max-requests", 0, "request budget per scenario (preset 200000)")
		signOut    = fs.Float64("signout-share", -1, "share of browsers that sign out during the load (preset 0.1; the signout scenario: all)")
		cookie     = fs.Float64("cookie-share", -1, "share of browsers in cookie mode, the rest in header mode (preset 0.25)")
		fdSlack    = fs.Int("fd-slack", -1, "descriptor growth per instance tolerated after quiescence (preset 8)")
		seed       = fs.Uint64("seed", 0, "random seed (default: the time)")
		pgAdmin    = fs.String("pg-admin", "", "PostgreSQL DSN to create and drop the run's database (default $RATCHET_PG_DSN or postgres://postgres@127.0.0.1:5432/test)")
		myAdmin    = fs.String("mysql-admin", "", "MariaDB DSN to create and drop the run's database (default $RATCHET_MYSQL_DSN or root@tcp(127.0.0.1:3306)/)")
		apiOrigin  = fs.String("api-origin", "", "API_ORIGIN of every instance (default http://127.0.0.1:1; an https origin makes the cookies Secure and __Host-/__Secure- prefixed)")
		webOrigin  = fs.String("website-origin", "", "WEBSITE_ORIGIN of every instance, sent as Origin (default http://127.0.0.1:2)")
		out        = fs.String("out", "", "also append the markdown report to this file")
		keep       = fs.Bool("keep", false, "keep the work directory (binaries, instance logs)")
		src        = fs.String("src", "worktree", "build the examples from the working tree as it is (worktree), or from a clean export of a commit (HEAD, a hash)")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fleet: unexpected arguments %q\n", fs.Args())
		return 2
	}
	r := *root
	if r == "" {
		wd, _ := os.Getwd()
		var err error
		if r, err = FindRoot(wd); err != nil {
			fmt.Fprintln(stderr, "fleet:", err)
			return 2
		}
	}
	// A commit is resolved once, so that every database measures the same one even if someone
	// commits meanwhile.
	if *src != "worktree" {
		out, err := exec.CommandContext(ctx, "git", "-C", r, "rev-parse", "--verify", "--end-of-options", *src+"^{commit}").Output()
		if err != nil {
			fmt.Fprintf(stderr, "fleet: -src %q is not a commit of the repository\n", *src)
			return 2
		}
		*src = strings.TrimSpace(string(out))
	}
	var reports []*RunReport
	var build *Build // built once, for every database
	defer func() {
		if build != nil && !*keep {
			os.RemoveAll(build.Dir)
		}
	}()
	for _, db := range strings.Split(*dbs, ",") {
		db = strings.TrimSpace(db)
		cfg, err := Preset(*preset, db)
		if err != nil {
			fmt.Fprintln(stderr, "fleet:", err)
			return 2
		}
		cfg.Root = r
		setInt(&cfg.Instances, *instances, 0)
		setInt(&cfg.Clients, *clients, 0)
		setInt(&cfg.Tabs, *tabs, 0)
		setInt(&cfg.Pool, *pool, 0)
		setInt(&cfg.MaxRequests, *maxReq, 0)
		setInt(&cfg.FDSlack, *fdSlack, -1)
		if *duration > 0 {
			cfg.Duration, cfg.Durations = *duration, nil
		}
		if *accessTTL > 0 {
			cfg.AccessTTL = *accessTTL
		}
		if *think >= 0 {
			cfg.Think = *think
		}
		if *timeout > 0 {
			cfg.Timeout = *timeout
		}
		if *signOut >= 0 {
			cfg.SignOutShare = *signOut
		}
		if *cookie >= 0 {
			cfg.CookieShare = *cookie
		}
		if *seed != 0 {
			cfg.Seed = *seed
		}
		if *pgAdmin != "" {
			cfg.PGAdmin = *pgAdmin
		}
		if *myAdmin != "" {
			cfg.MySQLAdmin = *myAdmin
		}
		cfg.Keep, cfg.Src = *keep, *src
		if *apiOrigin != "" {
			cfg.APIOrigin = strings.TrimSuffix(*apiOrigin, "/")
		}
		if *webOrigin != "" {
			cfg.WebOrigin = strings.TrimSuffix(*webOrigin, "/")
		}
		if *frameworks != "" {
			cfg.Frameworks = splitList(*frameworks)
		}
		if *scenarios != "" {
			cfg.Scenarios = splitList(*scenarios)
		}
		if *modes != "" {
			cfg.Modes = nil
			for _, m := range splitList(*modes) {
				cfg.Modes = append(cfg.Modes, Mode(m))
			}
		}
		if db == "sqlite" {
			cfg.Instances = 1
		}
		if err := cfg.Validate(); err != nil {
			fmt.Fprintln(stderr, "fleet:", err)
			return 2
		}
		if build == nil {
			dir, err := os.MkdirTemp("", "ratchet-fleet-build-")
			if err != nil {
				fmt.Fprintln(stderr, "fleet:", err)
				return 2
			}
			// Every framework of the list: a later database may need one the first does not.
			if build, err = BuildFor(ctx, cfg, slices.Compact(slices.Sorted(slices.Values(cfg.Frameworks))), dir, stderr); err != nil {
				fmt.Fprintln(stderr, "fleet:", err)
				os.RemoveAll(dir)
				return 2
			}
		}
		cfg.Build = build
		rep := Run(ctx, cfg, stderr)
		reports = append(reports, rep)
		rep.WriteMarkdown(stdout)
		if *out != "" {
			if f, err := os.OpenFile(*out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
				rep.WriteMarkdown(f)
				f.Close()
			} else {
				fmt.Fprintln(stderr, "fleet:", err)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	code := 0
	for _, rep := range reports {
		if rep.Err != nil {
			return 2
		}
		if len(rep.Failures()) > 0 {
			code = 1
		}
	}
	return code
}

func setInt(dst *int, v, unset int) {
	if v != unset {
		*dst = v
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Validate checks the configuration's bounds: every loop of the fleet is bounded in count and
// time through these.
func (c Config) Validate() error {
	switch c.DB {
	case "postgres", "mariadb", "sqlite":
	default:
		return fmt.Errorf("-db %q: want postgres, mariadb or sqlite", c.DB)
	}
	for _, fw := range c.Frameworks {
		if fw != "gin" && fw != "fiber" && fw != "echo" && fw != "echov5" && fw != "nethttp" {
			return fmt.Errorf("-frameworks: unknown %q (gin, fiber, echo, echov5, nethttp)", fw)
		}
	}
	for _, s := range c.Scenarios {
		if _, ok := ScenarioByName(s); !ok {
			return fmt.Errorf("-scenarios: unknown %q (from %s)", s, strings.Join(scenarioNames(), ","))
		}
	}
	for _, m := range c.Modes {
		if m != Uncoordinated && m != SDK {
			return fmt.Errorf("-modes: unknown %q (uncoordinated, sdk)", m)
		}
	}
	switch {
	case len(c.Frameworks) == 0 || len(c.Scenarios) == 0 || len(c.Modes) == 0:
		return fmt.Errorf("empty -frameworks, -scenarios or -modes")
	case c.Instances < 1 || c.Instances > 16:
		return fmt.Errorf("-instances %d: 1 to 16", c.Instances)
	case c.Clients < 1 || c.Clients > 500:
		return fmt.Errorf("-clients %d: 1 to 500", c.Clients)
	case c.Tabs < 1 || c.Tabs > 10:
		return fmt.Errorf("-tabs %d: 1 to 10", c.Tabs)
	case c.Duration < time.Second || c.Duration > 30*time.Minute:
		return fmt.Errorf("-duration %s: 1s to 30m", c.Duration)
	case c.AccessTTL < time.Second:
		return fmt.Errorf("-access-ttl %s: at least 1s", c.AccessTTL)
	case c.Pool < 1:
		return fmt.Errorf("-pool %d: at least 1", c.Pool)
	case c.MaxRequests < 1 || c.MaxRequests > 10_000_000:
		return fmt.Errorf("-max-requests %d: 1 to 10000000", c.MaxRequests)
	case c.SignOutShare > 1 || c.CookieShare > 1:
		return fmt.Errorf("-signout-share and -cookie-share are shares: 0 to 1")
	}
	return nil
}
