package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Check is the release check: the modules agree with VERSION, the README agrees with the
// programs, and every library module installs with `go get` from outside the repository and
// serves the quick-start programs.
type Check struct {
	Repo *Repo
	Keep bool // keep the scratch directory (printed) instead of removing it
	Log  func(format string, args ...any)
}

// Run runs every step and returns the first failure.
func (c *Check) Run(ctx context.Context) (err error) {
	r := c.Repo
	start := time.Now()
	c.Log("version %s; library modules: %s", r.Version, strings.Join(libraryDirs(r), " "))

	if errs := r.CheckLockstep(); len(errs) > 0 {
		return fmt.Errorf("go.mod files and VERSION disagree:\n%w", errors.Join(errs...))
	}
	rd, err := r.ReadReadme()
	if err != nil {
		return err
	}
	programs, err := r.Programs()
	if err != nil {
		return err
	}
	if errs := r.CheckReadme(rd, programs); len(errs) > 0 {
		return fmt.Errorf("README.md and the check disagree:\n%w", errors.Join(errs...))
	}

	scratch, err := os.MkdirTemp("", "ratchet-release-")
	if err != nil {
		return err
	}
	var off, resolver *Offline
	defer func() {
		if c.Keep {
			c.Log("kept %s", scratch)
			return
		}
		for _, o := range []*Offline{off, resolver} {
			if o != nil { // a private module cache is read-only: go clean empties it
				if cerr := o.Clean(context.Background(), scratch); cerr != nil && err == nil {
					err = cerr
				}
			}
		}
		if rerr := os.RemoveAll(scratch); rerr != nil && err == nil {
			err = rerr
		}
	}()
	if rel, err := filepath.Rel(r.Root, scratch); err == nil && !strings.HasPrefix(rel, "..") {
		return fmt.Errorf("the temporary directory %s is inside the repository; set TMPDIR elsewhere", scratch)
	}

	env, err := goEnv(ctx, "GOMODCACHE", "GOCACHE")
	if err != nil {
		return err
	}
	machineCache, buildCache := env[0], env[1]
	// Every module the consumers resolve that is not ours comes from the machine's module
	// cache, or, for what it lacks, from the resolver's pass (NewResolver) before the offline
	// one: fill the machine's cache for the library modules and the examples first (the
	// examples pin the versions of the third-party modules the programs use beyond the
	// libraries' own requirements).
	t := time.Now()
	for _, m := range append(r.Libraries(), r.Module("examples")) {
		if m == nil {
			return errors.New("go.work does not use ./examples, which pins the programs' other modules")
		}
		cmd := exec.CommandContext(ctx, "go", "mod", "download")
		cmd.Dir = filepath.Join(r.Root, filepath.FromSlash(m.Dir))
		cmd.Env = append(os.Environ(), "GOWORK=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: go mod download: %v\n%s", m.Dir, err, out)
		}
	}
	c.Log("module cache filled for the library modules and examples (%s)", since(t))

	proxy := filepath.Join(scratch, "proxy")
	t = time.Now()
	mods, err := r.BuildProxy(proxy, scratch)
	if err != nil {
		return err
	}
	for _, m := range mods {
		c.Log("proxy: %s@%s (%d files)", m.Path, m.Version.Version, m.Files)
	}
	c.Log("proxy written to %s (%s)", proxy, since(t))

	pins, err := r.examplePins()
	if err != nil {
		return err
	}
	goVersion := r.Module(".").File.Go.Version
	envs, err := goEnv(ctx, "GOPROXY")
	if err != nil {
		return err
	}

	// Two passes of the same steps: the resolver's, which may fetch what the machine's cache
	// lacks from upstream, then the offline one, which must pass with nothing but our proxy,
	// the machine's cache and what the resolver fetched.
	resolveDir := filepath.Join(scratch, "resolve")
	if resolver, err = NewResolver(resolveDir, proxy, machineCache, buildCache, envs[0]); err != nil {
		return err
	}
	t = time.Now()
	if err := c.runConsumers(ctx, resolver, rd, programs, pins, resolveDir, goVersion); err != nil {
		return fmt.Errorf("resolving (online): %w", err)
	}
	c.Log("resolver pass done (%s); now offline", since(t))
	if off, err = NewOffline(scratch, proxy, machineCache, buildCache, resolver.ModCache); err != nil {
		return err
	}
	if err := c.runConsumers(ctx, off, rd, programs, pins, scratch, goVersion); err != nil {
		return err
	}
	c.Log("release check passed in %s", since(start))
	return nil
}

// runConsumers runs the "all" consumer and every quick-start program under env, in modules
// under dir. The consumer modules are independent (the go command locks the shared caches),
// so a few run at once: most of their time is spent waiting for the compiler and the programs.
func (c *Check) runConsumers(ctx context.Context, env *Offline, rd *Readme, programs []*Program, pins map[string]string, dir, goVersion string) error {
	jobs := []func(context.Context) error{func(ctx context.Context) error {
		return c.runAll(ctx, env, rd, filepath.Join(dir, "all"), goVersion)
	}}
	for _, p := range programs {
		jobs = append(jobs, func(ctx context.Context) error {
			t := time.Now()
			if err := c.runProgram(ctx, env, rd, p, pins, filepath.Join(dir, "quickstart-"+p.Name), goVersion); err != nil {
				return fmt.Errorf("quick start %s: %w", p.Name, err)
			}
			c.Log("quickstart %s: installed, built, signed in, refreshed (%s)", p.Name, since(t))
			return nil
		})
	}
	return runAtMost(ctx, 3, jobs)
}

// runAll runs every install line in one module and builds every package of every library
// module there.
func (c *Check) runAll(ctx context.Context, off *Offline, rd *Readme, dir, goVersion string) error {
	r, t := c.Repo, time.Now()
	if err := newConsumer(dir, "all", goVersion); err != nil {
		return err
	}
	for _, p := range rd.Order {
		if err := off.runInstall(ctx, dir, rd.Install[p]); err != nil {
			return err
		}
	}
	if err := off.checkResolved(ctx, r, dir, r.Libraries()); err != nil {
		return err
	}
	if _, err := off.Go(ctx, dir, "build", "-trimpath", r.Path+"/..."); err != nil {
		return err
	}
	c.Log("all: %d install lines, go build %s/... (%s)", len(rd.Order), r.Path, since(t))
	return nil
}

// runAtMost runs jobs, at most n at a time, and returns the first error; the context the
// others run under is cancelled when one fails.
func runAtMost(ctx context.Context, n int, jobs []func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, n)
	errs := make(chan error, len(jobs))
	var wg sync.WaitGroup
	for _, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			defer func() { <-sem }()
			if err := job(ctx); err != nil {
				errs <- err // before cancel: the first error in errs is the one that stopped the others
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	var first error
	for err := range errs {
		// A job stopped by the cancellation reports that; report the failure that caused it.
		if first == nil || (errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled)) {
			first = err
		}
	}
	return first
}

// runProgram installs what program p imports in a fresh module, as the README says, builds
// it, starts it on a free loopback port and signs in.
func (c *Check) runProgram(ctx context.Context, off *Offline, rd *Readme, p *Program, pins map[string]string, dir, goVersion string) error {
	r := c.Repo
	if err := newConsumer(dir, "quickstart/"+p.Name, goVersion); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), p.Source, 0o644); err != nil {
		return err
	}
	mods, err := r.programModules(p)
	if err != nil {
		return err
	}
	var lines []string
	for _, m := range mods {
		if err := off.runInstall(ctx, dir, rd.Install[m.Path]); err != nil {
			return err
		}
		lines = append(lines, strings.Join(rd.Install[m.Path], " "))
	}
	c.Log("quickstart %s: %s", p.Name, strings.Join(lines, "; "))
	if err := off.checkResolved(ctx, r, dir, mods); err != nil {
		return err
	}
	// Other modules the program imports (a database driver) that the install lines do not
	// bring: the version examples/ is tested with.
	graph, err := off.graphModules(ctx, dir)
	if err != nil {
		return err
	}
	have := slices.Collect(maps.Keys(graph))
	for _, ip := range p.Imports {
		if r.isOurs(ip) || !strings.Contains(strings.SplitN(ip, "/", 2)[0], ".") || longestPrefix(have, ip) != "" {
			continue // ours, standard library, or already in the build list
		}
		mod := longestPrefix(keys(pins), ip)
		if mod == "" {
			return fmt.Errorf("%s imports %s, which neither the install lines nor examples/go.mod provide", p.Rel, ip)
		}
		c.Log("quickstart %s: go get %s@%s (examples/go.mod)", p.Name, mod, pins[mod])
		if _, err := off.Go(ctx, dir, "get", mod+"@"+pins[mod]); err != nil {
			return err
		}
		have = append(have, mod)
	}
	bin := filepath.Join(dir, "app")
	if _, err := off.Go(ctx, dir, "build", "-trimpath", "-o", bin, "."); err != nil {
		return err
	}
	a, err := startApp(bin, dir)
	if err != nil {
		return err
	}
	defer a.stop()
	if err := a.signInScript(); err != nil {
		return fmt.Errorf("%w\nprogram output:\n%s", err, a.out.String())
	}
	return nil
}

// examplePins are the requirements of examples/go.mod by module path.
func (r *Repo) examplePins() (map[string]string, error) {
	m := r.Module("examples")
	if m == nil {
		return nil, errors.New("go.work does not use ./examples")
	}
	pins := map[string]string{}
	for _, req := range m.File.Require {
		if !r.isOurs(req.Mod.Path) {
			pins[req.Mod.Path] = req.Mod.Version
		}
	}
	return pins, nil
}

// longestPrefix returns the longest module path in mods that provides import path ip.
func longestPrefix(mods []string, ip string) string {
	best := ""
	for _, m := range mods {
		if (ip == m || strings.HasPrefix(ip, m+"/")) && len(m) > len(best) {
			best = m
		}
	}
	return best
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func libraryDirs(r *Repo) []string {
	var ds []string
	for _, m := range r.Libraries() {
		ds = append(ds, m.Dir)
	}
	return ds
}

// goEnv reads go env variables as the machine's go command sees them; none may be empty.
func goEnv(ctx context.Context, names ...string) ([]string, error) {
	out, err := exec.CommandContext(ctx, "go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(vals) != len(names) || slices.Contains(vals, "") {
		return nil, fmt.Errorf("go env %s: %q", strings.Join(names, " "), out)
	}
	return vals, nil
}

func since(t time.Time) time.Duration {
	return time.Since(t).Round(10 * time.Millisecond)
}
