package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one fleet run on one database.
type Config struct {
	Root       string   // repository root (go.work)
	DB         string   // postgres, mariadb or sqlite
	Frameworks []string // cycled over the instances
	Instances  int
	Clients    int // browsers per scenario (times the scenario's factor)
	Tabs       int
	Duration   time.Duration // load per scenario
	// Durations overrides Duration for some scenarios (the short preset's overload).
	Durations    map[string]time.Duration
	Scenarios    []string
	Modes        []Mode
	AccessTTL    time.Duration
	Pool         int // DB_MAX_OPEN_CONNS of each instance
	Think        time.Duration
	Timeout      time.Duration // per HTTP exchange
	MaxRequests  int           // per scenario, all browsers together
	SignOutShare float64       // share of browsers that sign out during the load
	CookieShare  float64       // share of browsers in cookie mode
	FDSlack      int           // descriptor growth tolerated after quiescence
	Quiesce      time.Duration // how long descriptors may take to settle
	Seed         uint64
	PGAdmin      string
	MySQLAdmin   string
	APIOrigin    string
	WebOrigin    string
	Keep         bool // keep the work directory (binaries, instance logs)
	// Build holds binaries built beforehand (shared by the runs on several databases); nil
	// builds them for this run.
	Build *Build
	// Src is what the examples are built from: "worktree" (the repository as it is, uncommitted
	// changes included) or a commit ("HEAD", a hash), exported clean with git archive.
	Src string
}

// Build is a set of example binaries and what they were built from.
type Build struct {
	Bins   map[string]string // framework → binary
	Commit string            // for the report
	Dir    string            // where they are
}

// usedFrameworks lists the frameworks the configuration's instances run.
func usedFrameworks(cfg Config) []string {
	var used []string
	for i := range cfg.Instances {
		if fw := cfg.Frameworks[i%len(cfg.Frameworks)]; !slices.Contains(used, fw) {
			used = append(used, fw)
		}
	}
	return used
}

// BuildFor builds the frameworks' example binaries into dir, from the working tree or from a
// clean export of cfg.Src.
func BuildFor(ctx context.Context, cfg Config, frameworks []string, dir string, log io.Writer) (*Build, error) {
	fmt.Fprintf(log, "fleet: building %s\n", strings.Join(frameworks, ", "))
	src, commit := cfg.Root, gitCommit(cfg.Root)
	if cfg.Src != "" && cfg.Src != "worktree" {
		src = filepath.Join(dir, "src")
		c, err := ExportCommit(ctx, cfg.Root, cfg.Src, src)
		if err != nil {
			return nil, err
		}
		commit = c + " (clean export of the commit, not the working tree)"
	}
	bins, err := BuildExamples(ctx, src, dir, frameworks)
	if err != nil {
		return nil, err
	}
	return &Build{Bins: bins, Commit: commit, Dir: dir}, nil
}

// Fleet is the running system under test.
type Fleet struct {
	Cfg       Config
	Dir       string
	DB        *Database
	Proxy     Proxies // one per instance, in front of the database; empty for SQLite
	Instances []*Instance
	HTTP      *HTTP
	Password  string // the demo password of this run; never printed
	kills     int
}

// RunReport is the outcome of one Run.
type RunReport struct {
	Cfg       Config
	Started   time.Time
	Elapsed   time.Duration
	LoadStart string // /proc/loadavg before and after
	LoadEnd   string
	Commit    string
	Database  string   // kind and the unique name (dropped)
	Instances []string // names, e.g. gin-0
	Results   []ScenarioResult
	StopErrs  []string // instances that did not exit cleanly on SIGTERM
	Err       error    // the run could not complete
}

// Run builds the examples, creates the database, starts the fleet, runs every scenario and
// tears everything down. Progress goes to log; the report is returned.
func Run(ctx context.Context, cfg Config, log io.Writer) *RunReport {
	rep := &RunReport{Cfg: cfg, Started: time.Now(), LoadStart: loadAvg()}
	defer func() { rep.Elapsed, rep.LoadEnd = time.Since(rep.Started), loadAvg() }()
	if cfg.DB == "sqlite" && cfg.Instances != 1 {
		fmt.Fprintf(log, "fleet: SQLite runs one instance (was %d)\n", cfg.Instances)
		cfg.Instances = 1
		rep.Cfg.Instances = 1
	}
	dir, err := os.MkdirTemp("", "ratchet-fleet-")
	if err != nil {
		rep.Err = err
		return rep
	}
	if cfg.Keep {
		fmt.Fprintf(log, "fleet: work directory %s (kept)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	f := &Fleet{Cfg: cfg, Dir: dir, Password: randomHex(12)}

	b := cfg.Build
	if b == nil {
		var err error
		if b, err = BuildFor(ctx, cfg, usedFrameworks(cfg), dir, log); err != nil {
			rep.Err = err
			return rep
		}
	}
	rep.Commit = b.Commit
	bins := b.Bins
	f.DB, err = CreateDatabase(ctx, cfg.DB, dir, cfg.PGAdmin, cfg.MySQLAdmin)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.Database = cfg.DB + " " + filepath.Base(f.DB.Name)
	fmt.Fprintf(log, "fleet: database %s created\n", rep.Database)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := f.DB.Drop(dctx); err != nil {
			rep.Err = errors.Join(rep.Err, fmt.Errorf("dropping the database: %w", err))
		} else {
			fmt.Fprintf(log, "fleet: database %s dropped\n", rep.Database)
		}
	}()
	defer func() { f.Proxy.Close() }()

	kek := make([]byte, 32)
	_, _ = rand.Read(kek)
	common := []string{
		"API_ORIGIN=" + cfg.APIOrigin,
		"WEBSITE_ORIGIN=" + cfg.WebOrigin,
		"RATCHET_KEK=" + base64.StdEncoding.EncodeToString(kek),
		"ACCESS_TOKEN_TTL=" + cfg.AccessTTL.String(),
		"DB_MAX_OPEN_CONNS=" + strconv.Itoa(cfg.Pool),
		"DB_MAX_IDLE_CONNS=" + strconv.Itoa(cfg.Pool),
		"DEMO_PASSWORD=" + f.Password,
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TMPDIR=" + dir,
	}
	var addrs []string
	for i := range cfg.Instances {
		fw := cfg.Frameworks[i%len(cfg.Frameworks)]
		addr, err := freeAddr()
		if err != nil {
			rep.Err = err
			return rep
		}
		name := fw + "-" + strconv.Itoa(i)
		dbAddr := ""
		if f.DB.Upstream != "" {
			p, err := NewProxy(f.DB.Upstream)
			if err != nil {
				rep.Err = err
				return rep
			}
			f.Proxy = append(f.Proxy, p)
			dbAddr = p.Addr()
		}
		env := append([]string{"ADDR=" + addr, "DATABASE_URL=" + f.DB.URL(dbAddr)}, common...)
		f.Instances = append(f.Instances, &Instance{Name: name, Bin: bins[fw], Addr: addr, dir: dir,
			logPath: filepath.Join(dir, name+".log"), secret: f.Password, env: env})
		addrs = append(addrs, addr)
	}
	defer func() {
		for _, in := range f.Instances {
			if err := in.Stop(10 * time.Second); err != nil {
				rep.StopErrs = append(rep.StopErrs, err.Error())
			}
		}
	}()
	// All at once: one signing key must be created however many start together.
	var wg sync.WaitGroup
	errs := make([]error, len(f.Instances))
	for i, in := range f.Instances {
		if err := in.Start(); err != nil {
			rep.Err = err
			return rep
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = in.WaitReady(ctx, 60*time.Second) }()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		rep.Err = err
		return rep
	}
	rep.Instances = names(f.Instances)
	fmt.Fprintf(log, "fleet: %d instances ready (%s), database via %s\n", len(f.Instances), strings.Join(names(f.Instances), ", "), linkName(f))

	f.HTTP = NewHTTP(addrs, cfg.WebOrigin, cfg.Timeout, 512)
	defer f.HTTP.CloseIdle()
	for i, name := range cfg.Scenarios {
		sc, _ := ScenarioByName(name)
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(log, "fleet: %s/%s: %s\n", cfg.DB, sc.Name, sc.What)
		res := f.RunScenario(ctx, sc, cfg.Seed+uint64(i))
		rep.Results = append(rep.Results, res)
		fmt.Fprintf(log, "fleet: %s/%s: %s\n", cfg.DB, sc.Name, res.summary())
		if res.Err != nil {
			rep.Err = fmt.Errorf("scenario %s: %w", sc.Name, res.Err)
			break
		}
	}
	return rep
}

func names(ins []*Instance) []string {
	var s []string
	for _, in := range ins {
		s = append(s, in.Name)
	}
	return s
}

func linkName(f *Fleet) string {
	if len(f.Proxy) == 0 {
		return "a file (no proxy)"
	}
	return "a fault proxy each"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// gitCommit names the commit the binaries were built from, and the top-level directories
// with uncommitted changes (the build takes the working tree as it is).
func gitCommit(root string) string {
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "?"
	}
	c := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	if err != nil {
		return c
	}
	dirs := map[string]bool{}
	var list []string
	for _, line := range strings.Split(string(st), "\n") {
		if len(line) < 4 {
			continue
		}
		top, _, _ := strings.Cut(strings.TrimSpace(line[3:]), "/")
		if !dirs[top] {
			dirs[top] = true
			list = append(list, top)
		}
	}
	if len(list) > 0 {
		c += " + uncommitted changes in " + strings.Join(list, ", ")
	}
	return c
}

// Machine describes this machine for the report.
func Machine() string {
	return fmt.Sprintf("%d cores, %s/%s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// Failures lists what makes the run fail: unexpected logouts, lost sessions, resurrections,
// refresh loops, descriptor leaks, and a run that could not complete.
func (r *RunReport) Failures() []string {
	var out []string
	if r.Err != nil {
		out = append(out, "run error: "+r.Err.Error())
	}
	for _, res := range r.Results {
		for _, m := range res.Modes {
			s := m.Stats
			p := res.Scenario.Name + "/" + string(m.Mode) + ": "
			for msg, n := range s.Logouts {
				out = append(out, fmt.Sprintf("%s%d unexpected logout(s) %q", p, n, msg))
			}
			if s.Lost > 0 {
				out = append(out, fmt.Sprintf("%s%d session(s) lost", p, s.Lost))
			}
			if s.Resurrections > 0 {
				out = append(out, fmt.Sprintf("%s%d resurrection(s)", p, s.Resurrections))
			}
			if s.RefreshLoops > 0 {
				out = append(out, fmt.Sprintf("%s%d request(s) still refused after %d refreshes", p, s.RefreshLoops, maxRefreshes))
			}
		}
		for _, l := range res.Leaks {
			out = append(out, res.Scenario.Name+": descriptor leak: "+l)
		}
	}
	return out
}

func (r ScenarioResult) summary() string {
	if r.Skipped != "" {
		return "skipped: " + r.Skipped
	}
	var parts []string
	for _, m := range r.Modes {
		s := m.Stats
		parts = append(parts, fmt.Sprintf("%s: %d requests, %d/%d refreshes, %d 5xx, %d logouts, %d lost, %d resurrections",
			m.Mode, s.Requests, s.RefreshOK, s.Refreshes, s.Total5xx(), s.TotalLogouts(), s.Lost, s.Resurrections))
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(" (%s)", r.Elapsed.Round(100*time.Millisecond))
}

// DurationOf is the load of the named scenario.
func (c Config) DurationOf(scenario string) time.Duration {
	if d, ok := c.Durations[scenario]; ok {
		return d
	}
	return c.Duration
}
