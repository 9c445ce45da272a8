package main

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"sync"
	"time"
)

// Stats are the counters of one scenario run. Every method is safe for concurrent use.
type Stats struct {
	mu  sync.Mutex
	lat map[string][]time.Duration // answered requests, per route

	Requests   int            // HTTP exchanges of every route, retries included
	Status5xx  map[string]int // per route
	Status503  int            // the subset of 5xx that were 503 (overload shedding)
	NetErrors  map[string]int // refused, reset, timed out: per route
	Timeouts   int            // the subset of NetErrors that hit the client's timeout
	Other4xx   int            // answers other than 200, 401 and 5xx
	Refreshes  int
	RefreshOK  int
	SignIns    int
	SignInOK   int
	SignOuts   int // explicit sign-outs that the server confirmed
	SignOutErr int // explicit sign-outs never confirmed (kept out of the resurrection audit)

	// Logouts counts unexpected ends of session by message ("unauthorised", "token theft
	// detected"): an honest client told its session is over when it did not ask.
	Logouts     map[string]int
	LogoutWhere map[string]int // "route: message"
	// Lost counts sessions found dead by the audit at the end, that no request had reported.
	Lost int
	// Unverified counts audit checks that never got a definite answer (5xx, network).
	Unverified int
	// Resurrections counts requests with a signed-out session's tokens that succeeded.
	Resurrections  int
	ResurrectWhere map[string]int
	// RefreshLoops counts requests still refused ("try refresh token") after maxRefreshes
	// successful refreshes: the client gives up and the user sees an error.
	RefreshLoops int
	NotesAcked   int // POST /api/notes answered 200 in sessions still live at the end
	NotesLost    int // acknowledged notes missing from GET /api/notes at the end
}

// NewStats returns empty counters.
func NewStats() *Stats {
	return &Stats{lat: map[string][]time.Duration{}, Status5xx: map[string]int{}, NetErrors: map[string]int{},
		Logouts: map[string]int{}, LogoutWhere: map[string]int{}, ResurrectWhere: map[string]int{}}
}

// record counts one exchange. An exchange cancelled because the scenario ended is not counted.
func (s *Stats) record(ctx context.Context, route string, r reply) {
	if r.err != nil && ctx.Err() != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	switch route {
	case routeRefresh:
		s.Refreshes++
		if r.ok() {
			s.RefreshOK++
		}
	case routeSignIn:
		s.SignIns++
		if r.ok() {
			s.SignInOK++
		}
	}
	switch {
	case r.err != nil:
		s.NetErrors[route]++
		if errors.Is(r.err, context.DeadlineExceeded) {
			s.Timeouts++
		}
		return
	case r.status >= 500:
		s.Status5xx[route]++
		if r.status == 503 {
			s.Status503++
		}
	case r.status != 200 && r.status != 401:
		s.Other4xx++
	}
	s.lat[route] = append(s.lat[route], r.dur)
}

func (s *Stats) add(f func(s *Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// Total5xx sums the 5xx answers of every route.
func (s *Stats) Total5xx() int { return sumMap(s.Status5xx) }

// TotalNetErrors sums the transport errors of every route.
func (s *Stats) TotalNetErrors() int { return sumMap(s.NetErrors) }

// TotalLogouts sums the unexpected logouts of every message.
func (s *Stats) TotalLogouts() int { return sumMap(s.Logouts) }

func sumMap(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Latency summarises one route's answered requests.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
}

// Latency returns the route's percentiles (nearest rank).
func (s *Stats) Latency(route string) Latency {
	s.mu.Lock()
	v := slices.Clone(s.lat[route])
	s.mu.Unlock()
	return percentiles(v)
}

func percentiles(v []time.Duration) Latency {
	if len(v) == 0 {
		return Latency{}
	}
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p*float64(len(v)))) - 1
		return v[max(0, min(i, len(v)-1))]
	}
	return Latency{N: len(v), P50: rank(0.50), P99: rank(0.99), Max: v[len(v)-1]}
}
