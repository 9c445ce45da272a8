package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// WriteMarkdown prints the report: a header, the per-mode client table, the latency table,
// the fleet table (database link, descriptors, memory, fault events) and the failures.
func (r *RunReport) WriteMarkdown(w io.Writer) {
	c := r.Cfg
	fmt.Fprintf(w, "\n### fleet on %s\n\n", c.DB)
	fmt.Fprintf(w, "- date: %s; machine: %s; load average %s at start, %s at end\n",
		r.Started.Format("2006-01-02 15:04 MST"), Machine(), r.LoadStart, r.LoadEnd)
	fmt.Fprintf(w, "- commit %s; database %s (created for the run, dropped after)\n", r.Commit, r.Database)
	fmt.Fprintf(w, "- %d instance(s) (%s); %d browsers × %d tabs per scenario (× the scenario's factor); %s load per scenario; "+
		"API_ORIGIN=%s; ACCESS_TOKEN_TTL=%s; DB_MAX_OPEN_CONNS=%d; think ≤ %s; %.0f%% of browsers in cookie mode; modes %s; total %s\n",
		c.Instances, strings.Join(r.Instances, ", "), c.Clients, c.Tabs, durations(c), c.APIOrigin, c.AccessTTL, c.Pool, c.Think,
		c.CookieShare*100, joinModes(c.Modes), r.Elapsed.Round(time.Second))
	if r.Err != nil {
		fmt.Fprintf(w, "- **the run did not complete**: %v\n", r.Err)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "| scenario | mode | browsers | requests | refreshes ok/all | sign-ins | 5xx | net errors | logout: unauthorised | logout: theft | lost | resurrections | refresh loops | sign-outs | notes lost/acked | unverified |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, res := range r.Results {
		if res.Skipped != "" {
			fmt.Fprintf(w, "| %s | – | skipped: %s |||||||||||||||\n", res.Scenario.Name, res.Skipped)
			continue
		}
		for _, m := range res.Modes {
			s := m.Stats
			other := s.TotalLogouts() - s.Logouts[msgUnauthorised] - s.Logouts[msgTheft]
			unauth := fmt.Sprint(s.Logouts[msgUnauthorised])
			if other > 0 {
				unauth += fmt.Sprintf(" (+%d other)", other)
			}
			fmt.Fprintf(w, "| %s | %s | %d×%d | %d | %d/%d | %d | %s | %d | %s | %s | %d | %d | %d | %d | %d/%d | %d |\n",
				res.Scenario.Name, m.Mode, m.Browsers, c.Tabs, s.Requests, s.RefreshOK, s.Refreshes, s.SignInOK,
				fiveXX(s), s.TotalNetErrors(), mark(unauth), mark(fmt.Sprint(s.Logouts[msgTheft])), s.Lost,
				s.Resurrections, s.RefreshLoops, s.SignOuts, s.NotesLost, s.NotesAcked, s.Unverified)
		}
	}

	fmt.Fprintln(w, "\nLatency, p50 / p99 of answered requests (retries are separate requests):")
	fmt.Fprintln(w)
	routes := []string{routeMe, routeNotes, routeRefresh, routeSignIn, routeSignOut}
	fmt.Fprintf(w, "| scenario | mode | %s |\n", strings.Join(routes, " | "))
	fmt.Fprintf(w, "|---|---|%s\n", strings.Repeat("--:|", len(routes)))
	for _, res := range r.Results {
		for _, m := range res.Modes {
			var cells []string
			for _, rt := range routes {
				l := m.Stats.Latency(rt)
				if l.N == 0 {
					cells = append(cells, "–")
					continue
				}
				cells = append(cells, fmt.Sprintf("%s / %s", ms(l.P50), ms(l.P99)))
			}
			fmt.Fprintf(w, "| %s | %s | %s |\n", res.Scenario.Name, m.Mode, strings.Join(cells, " | "))
		}
	}

	fmt.Fprintf(w, "\nThe fleet: database connections through each instance's proxy (opened during the scenario, all instances; per instance, the most open at once at the proxy and, in brackets, on the instance's side, sampled every 50 ms, bold when the latter is above DB_MAX_OPEN_CONNS=%d; held after quiescence), and each instance's file descriptors and RSS before → after:\n", r.Cfg.Pool)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| scenario | DB conns opened | DB conns peak | DB conns after | descriptors | RSS MiB | events |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|---|---|")
	for _, res := range r.Results {
		if res.Skipped != "" {
			continue
		}
		var fds, rss []string
		for _, p := range res.Procs {
			restarted := ""
			if p.Restarted {
				restarted = " (restarted)"
			}
			fds = append(fds, fmt.Sprintf("%s %d→%d%s", p.Name, p.Before.FDs, p.After.FDs, restarted))
			rss = append(rss, fmt.Sprintf("%s %.0f→%.0f", p.Name, float64(p.Before.RSSKB)/1024, float64(p.After.RSSKB)/1024))
		}
		db := [3]string{"–", "–", "–"}
		if r.Cfg.DB != "sqlite" {
			var opened int64
			var peak, held []string
			for _, p := range res.Procs {
				opened += p.DB.Opened
				pk := fmt.Sprintf("%d (%d)", p.DB.Peak, p.DBClientPeak)
				if p.DBClientPeak > r.Cfg.Pool {
					pk = "**" + pk + "**"
				}
				peak, held = append(peak, pk), append(held, fmt.Sprint(p.DB.Open))
			}
			db = [3]string{fmt.Sprint(opened), strings.Join(peak, " / "), strings.Join(held, " / ")}
		}
		ev := strings.Join(res.Events, "; ")
		if ev == "" {
			ev = "–"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", res.Scenario.Name, db[0], db[1], db[2],
			strings.Join(fds, ", "), strings.Join(rss, ", "), ev)
	}

	// Where the unexpected ends came from, and the resurrections.
	var where []string
	for _, res := range r.Results {
		for _, m := range res.Modes {
			for _, k := range sortedKeys(m.Stats.LogoutWhere) {
				where = append(where, fmt.Sprintf("- %s/%s: %d × %s", res.Scenario.Name, m.Mode, m.Stats.LogoutWhere[k], k))
			}
			for _, k := range sortedKeys(m.Stats.ResurrectWhere) {
				where = append(where, fmt.Sprintf("- %s/%s: %d × resurrection through %s", res.Scenario.Name, m.Mode, m.Stats.ResurrectWhere[k], k))
			}
		}
	}
	if len(where) > 0 {
		fmt.Fprintln(w, "\nWhere sessions ended unexpectedly (route: message) and resurrections:")
		fmt.Fprintln(w)
		fmt.Fprintln(w, strings.Join(where, "\n"))
	}
	if len(r.StopErrs) > 0 {
		fmt.Fprintln(w, "\nInstances that did not stop cleanly on SIGTERM:")
		for _, e := range r.StopErrs {
			fmt.Fprintln(w, "- "+e)
		}
	}
	if f := r.Failures(); len(f) > 0 {
		fmt.Fprintf(w, "\n**FAIL** (%d):\n\n", len(f))
		for _, s := range f {
			fmt.Fprintln(w, "- "+s)
		}
	} else {
		fmt.Fprintln(w, "\n**PASS**: no unexpected logout, lost session, resurrection, refresh loop or descriptor leak.")
	}
}

func mark(s string) string {
	if s == "0" {
		return s
	}
	return "**" + s + "**"
}

func ms(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
}

func joinModes(ms []Mode) string {
	var s []string
	for _, m := range ms {
		s = append(s, string(m))
	}
	return strings.Join(s, "+")
}

func sortedKeys(m map[string]int) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

// fiveXX shows the 5xx count, with how many were 503.
func fiveXX(s *Stats) string {
	n := s.Total5xx()
	if s.Status503 == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%d×503)", n, s.Status503)
}

func durations(c Config) string {
	d := c.Duration.String()
	for _, k := range sortedDurKeys(c.Durations) {
		d += fmt.Sprintf(" (%s: %s)", k, c.Durations[k])
	}
	return d
}

func sortedDurKeys(m map[string]time.Duration) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}
