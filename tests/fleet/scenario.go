package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Scenario is one bounded run of load, with a fault injected while it runs.
type Scenario struct {
	Name string
	What string // one line for the documentation and the report
	// Network: the scenario hurts the database link, so it needs a network database (the
	// proxy); it is skipped on SQLite.
	Network bool
	// ClientsFactor multiplies -clients (overload).
	ClientsFactor int
	// SignOutShare overrides -signout-share.
	SignOutShare float64
	// Fault runs alongside the load, from its start; it must return (healed) by the end of d.
	Fault func(ctx context.Context, f *Fleet, d time.Duration, note func(string))
}

// Scenarios, in their default order.
var Scenarios = []Scenario{
	{Name: "steady", What: "steady load, no fault"},
	{Name: "latency", Network: true, What: "the proxy delays every chunk by 50–200 ms (both directions) from 20% to 80% of the run",
		Fault: func(ctx context.Context, f *Fleet, d time.Duration, note func(string)) {
			if !sleepUntil(ctx, d/5) {
				return
			}
			f.Proxy.SetLatency(50*time.Millisecond, 200*time.Millisecond)
			note("latency 50–200 ms per chunk on")
			sleepUntil(ctx, d*3/5)
			f.Proxy.SetLatency(0, 0)
			note("latency off")
		}},
	{Name: "cut", Network: true, What: "the proxy closes every open database connection once, at a third of the run",
		Fault: func(ctx context.Context, f *Fleet, d time.Duration, note func(string)) {
			if !sleepUntil(ctx, d/3) {
				return
			}
			note(fmt.Sprintf("cut %d connections", f.Proxy.Cut()))
		}},
	{Name: "blackhole", Network: true, What: "the proxy forwards nothing (open and new connections hang) for min(5 s, 40% of the run) from 30%, then heals",
		Fault: func(ctx context.Context, f *Fleet, d time.Duration, note func(string)) {
			if !sleepUntil(ctx, d*3/10) {
				return
			}
			hole := min(5*time.Second, d*4/10)
			f.Proxy.BlackHole()
			note(fmt.Sprintf("black hole for %s", hole.Round(time.Millisecond)))
			defer func() { f.Proxy.Heal(); note("healed") }()
			sleepUntil(context.WithoutCancel(ctx), hole) // always heal, and not early
		}},
	{Name: "kill", What: "kill -9 of one instance at 30% of the run, restarted at once (its clients' requests fail meanwhile)",
		Fault: func(ctx context.Context, f *Fleet, d time.Duration, note func(string)) {
			if !sleepUntil(ctx, d*3/10) {
				return
			}
			in := f.Instances[f.kills%len(f.Instances)]
			f.kills++
			in.Kill()
			t0 := time.Now()
			if err := in.Start(); err != nil {
				note("restart failed: " + err.Error())
				return
			}
			in.Restarts++
			if err := in.WaitReady(context.WithoutCancel(ctx), 60*time.Second); err != nil {
				note(in.Name + " not ready after restart: " + err.Error())
				return
			}
			note(fmt.Sprintf("killed %s (-9); ready again after %s", in.Name, time.Since(t0).Round(time.Millisecond)))
		}},
	{Name: "overload", ClientsFactor: 6, What: "6× the clients against the small pool (same think time: more users, not faster ones)"},
	{Name: "signout", SignOutShare: 1, What: "every browser signs out at a random moment while its tabs keep sending (the sign-out race); then the audit"},
}

// ScenarioByName finds a scenario.
func ScenarioByName(name string) (Scenario, bool) {
	i := slices.IndexFunc(Scenarios, func(s Scenario) bool { return s.Name == name })
	if i < 0 {
		return Scenario{}, false
	}
	return Scenarios[i], true
}

// sleepUntil sleeps d or until ctx ends; it reports whether d passed.
func sleepUntil(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ModeResult is what the browsers of one mode saw in one scenario.
type ModeResult struct {
	Mode     Mode
	Browsers int
	Stats    *Stats
}

// ProcResult is one instance's descriptors and memory around a scenario.
type ProcResult struct {
	Name          string
	Before, After ProcStats
	Restarted     bool
	// The instance's database link, from its proxy (zero for SQLite): connections opened
	// during the scenario, most open at once, open after quiescence; open before.
	DB       ProxyStats
	DBBefore int
	// DBClientPeak is the most database connections the instance itself held open, sampled
	// every 50 ms from /proc/net/tcp (the proxy also counts connections the instance gave up).
	DBClientPeak int
}

// ScenarioResult is one scenario's record.
type ScenarioResult struct {
	Scenario Scenario
	Skipped  string // why the scenario did not run
	Elapsed  time.Duration
	Modes    []ModeResult
	Procs    []ProcResult
	Leaks    []string
	Events   []string // what the fault did, with times
	Err      error
}

// RunScenario runs sc against the fleet: sign in, load until the deadline with the fault
// alongside, the audit, then quiescence and the descriptor check.
func (f *Fleet) RunScenario(ctx context.Context, sc Scenario, seed uint64) ScenarioResult {
	res := ScenarioResult{Scenario: sc}
	if sc.Network && len(f.Proxy) == 0 {
		res.Skipped = "needs a network database"
		return res
	}
	cfg := f.Cfg
	start := time.Now()
	f.HTTP.CloseIdle()
	sleepUntil(ctx, 300*time.Millisecond)
	before := f.procStats()
	dbBefore := make([]ProxyStats, len(f.Proxy))
	for i, p := range f.Proxy {
		p.ResetPeak()
		dbBefore[i] = p.Stats()
	}
	// The instances' side of the database links, sampled every 50 ms until the audit ends.
	sampled := make([]int, len(f.Proxy))
	stopSampling := f.sampleClientConns(sampled)
	defer stopSampling() // on an early return; stopping twice is fine
	pids := make([]int, len(f.Instances))
	for i, in := range f.Instances {
		pids[i] = in.PID()
	}

	// The browsers: modes alternate, and a share of each mode uses cookies.
	n := cfg.Clients * max(1, sc.ClientsFactor)
	stats := map[Mode]*Stats{}
	counts := map[Mode]int{}
	var browsers []*Browser
	for i := range n {
		mode := cfg.Modes[i%len(cfg.Modes)]
		if stats[mode] == nil {
			stats[mode] = NewStats()
		}
		counts[mode]++
		email := "alice@example.com"
		if i%4 >= 2 {
			email = "bob@example.com"
		}
		perMode := i / len(cfg.Modes)
		cookie := usesCookies(perMode, cfg.CookieShare)
		browsers = append(browsers, &Browser{ID: i, Email: email, password: f.Password, Mode: mode, h: f.HTTP,
			st: stats[mode], jar: Jar{Cookie: cookie}})
	}
	for _, m := range cfg.Modes {
		if stats[m] != nil {
			res.Modes = append(res.Modes, ModeResult{Mode: m, Browsers: counts[m], Stats: stats[m]})
		}
	}

	// Sign everyone in first (bounded), so that the load starts with live sessions.
	signCtx, cancelSign := context.WithTimeout(ctx, 60*time.Second)
	parallel(signCtx, browsers, 16, func(ctx context.Context, b *Browser) { b.ensureSession(ctx) })
	cancelSign()
	for _, b := range browsers {
		if b.fatal != nil {
			res.Err = b.fatal
			return res
		}
	}

	d := cfg.DurationOf(sc.Name)
	loadStart := time.Now()
	until := loadStart.Add(d)
	hard, cancel := context.WithTimeout(ctx, d+cfg.Timeout+30*time.Second)
	defer cancel()
	think := cfg.Think
	bud := &budget{left: cfg.MaxRequests}
	share := cfg.SignOutShare
	if sc.SignOutShare > 0 {
		share = sc.SignOutShare
	}
	var evMu sync.Mutex
	note := func(s string) {
		evMu.Lock()
		res.Events = append(res.Events, fmt.Sprintf("%.1fs %s", time.Since(loadStart).Seconds(), s))
		evMu.Unlock()
	}

	var wg sync.WaitGroup
	faultCtx, stopFault := context.WithDeadline(hard, until)
	defer stopFault()
	if sc.Fault != nil {
		wg.Add(1)
		go func() { defer wg.Done(); sc.Fault(faultCtx, f, d, note) }()
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, b := range browsers {
		for t := range cfg.Tabs {
			r := rand.New(rand.NewPCG(seed, uint64(b.ID*64+t+1)))
			rnd := func(n int64) int64 { // one tab's own source: no lock needed
				if n <= 0 {
					return 0
				}
				return r.Int64N(n)
			}
			wg.Add(1)
			go func() { defer wg.Done(); b.Tab(hard, until, think, bud, rnd) }()
		}
		if rng.Float64() < share {
			at := time.Duration(float64(d) * (0.3 + 0.55*rng.Float64()))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if sleepUntil(faultCtx, at) {
					b.SignOut(hard)
				}
			}()
		}
	}
	wg.Wait()
	cancel()

	// The audit: nothing of a signed-out session works; every other session is alive.
	actx, cancelAudit := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelAudit()
	f.audit(actx, browsers)

	stopSampling()

	// Quiesce, then compare descriptors.
	f.HTTP.CloseIdle()
	res.Procs = make([]ProcResult, len(f.Instances))
	for i, in := range f.Instances {
		res.Procs[i] = ProcResult{Name: in.Name, Before: before[i], Restarted: in.PID() != pids[i]}
	}
	deadline := time.Now().Add(cfg.Quiesce)
	sleepUntil(ctx, 500*time.Millisecond) // let the instances see the closed connections
	for {
		after := f.procStats()
		leaks := []string{}
		for i := range res.Procs {
			res.Procs[i].After = after[i]
			// A restarted instance is held to its predecessor's count: once quiet, the same
			// service should hold about the same descriptors.
			if after[i].FDs-before[i].FDs > cfg.FDSlack {
				leaks = append(leaks, fmt.Sprintf("%s: %d → %d file descriptors", res.Procs[i].Name, before[i].FDs, after[i].FDs))
			}
		}
		res.Leaks = leaks
		if len(leaks) == 0 || !time.Now().Before(deadline) || ctx.Err() != nil {
			break
		}
		sleepUntil(ctx, 500*time.Millisecond)
		f.HTTP.CloseIdle()
	}
	for i, p := range f.Proxy {
		ps := p.Stats()
		res.Procs[i].DB = ps
		res.Procs[i].DB.Opened -= dbBefore[i].Opened
		res.Procs[i].DBBefore = dbBefore[i].Open
		res.Procs[i].DBClientPeak = sampled[i]
	}
	for _, in := range f.Instances {
		if in.Exited() {
			res.Err = fmt.Errorf("%s exited during the scenario; log:\n%s", in.Name, in.LogTail(20))
		}
	}
	res.Elapsed = time.Since(start)
	return res
}

func (f *Fleet) procStats() []ProcStats {
	out := make([]ProcStats, len(f.Instances))
	for i, in := range f.Instances {
		out[i] = ReadProcStats(in.PID())
	}
	return out
}

// parallel runs fn for every browser, at most n at a time.
func parallel(ctx context.Context, bs []*Browser, n int, fn func(context.Context, *Browser)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, b := range bs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, b)
		}()
	}
	wg.Wait()
}

// usesCookies picks every k-th browser of a mode for cookie mode, k = 1/share rounded.
func usesCookies(i int, share float64) bool {
	if share <= 0 {
		return false
	}
	k := max(1, int(math.Round(1/share)))
	return i%k == k-1
}

// sampleClientConns records into peaks the most established connections to each proxy, seen
// from the instances' side, until the returned stop is called.
func (f *Fleet) sampleClientConns(peaks []int) (stop func()) {
	if len(f.Proxy) == 0 {
		return func() {}
	}
	ports := make([]int, len(f.Proxy))
	for i, p := range f.Proxy {
		ports[i] = p.Port()
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for i := 0; i < 1_000_000; i++ {
			if counts, err := ClientConns(ports); err == nil {
				for j, n := range counts {
					peaks[j] = max(peaks[j], n)
				}
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done) }); <-finished }
}
