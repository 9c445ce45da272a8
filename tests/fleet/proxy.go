package main

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy is an in-process TCP proxy in front of the real database. The instances' DATABASE_URL
// points at it, so the fleet can hurt the database link without touching the server: add
// latency, cut every connection, or black-hole the link (accept, but forward nothing) until
// healed. Listening and upstream addresses are on 127.0.0.1 only.
type Proxy struct {
	ln       net.Listener
	upstream string

	latMin, latMax atomic.Int64 // added delay per forwarded chunk, in nanoseconds

	mu      sync.Mutex
	conns   map[*proxyConn]struct{}
	hole    chan struct{} // non-nil while black-holed; closed when healed
	closed  bool
	peak    int
	wg      sync.WaitGroup
	opened  atomic.Int64 // connections accepted since start
	cutConn atomic.Int64 // connections closed by Cut
}

type proxyConn struct {
	client, server net.Conn // server is nil until dialled
	once           sync.Once
}

func (c *proxyConn) close() {
	c.once.Do(func() {
		_ = c.client.Close()
		if c.server != nil {
			_ = c.server.Close()
		}
	})
}

// NewProxy listens on 127.0.0.1 (a free port) and forwards to upstream.
func NewProxy(upstream string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, do not spin
			continue
		}
		p.opened.Add(1)
		pc := &proxyConn{client: c}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		p.conns[pc] = struct{}{}
		if len(p.conns) > p.peak {
			p.peak = len(p.conns)
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(pc)
	}
}

func (p *Proxy) serve(pc *proxyConn) {
	defer p.wg.Done()
	defer func() {
		pc.close()
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	// A connection accepted while black-holed is held, not dialled, until healed.
	if !p.wait(pc) {
		return
	}
	s, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	if _, live := p.conns[pc]; !live || p.closed { // cut while dialling
		p.mu.Unlock()
		_ = s.Close()
		return
	}
	pc.server = s
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pipe(pc, s, pc.client); done <- struct{}{} }()
	go func() { p.pipe(pc, pc.client, s); done <- struct{}{} }()
	<-done
	pc.close() // one side ended: end both, so the other pipe returns too
	<-done
}

// pipe copies src to dst chunk by chunk, applying the current latency and holding every chunk
// while the link is black-holed.
func (p *Proxy) pipe(pc *proxyConn, dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		if !p.wait(pc) {
			return
		}
		n, err := src.Read(buf)
		if n > 0 {
			if d := p.delay(); d > 0 {
				time.Sleep(d)
			}
			if !p.wait(pc) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF, a cut or a reset: the caller closes both sides
			return
		}
	}
}

// wait blocks while the link is black-holed. It returns false if the connection was cut or
// the proxy closed meanwhile.
func (p *Proxy) wait(pc *proxyConn) bool {
	for {
		p.mu.Lock()
		h := p.hole
		_, live := p.conns[pc]
		closed := p.closed
		p.mu.Unlock()
		if !live || closed {
			return false
		}
		if h == nil {
			return true
		}
		<-h
	}
}

func (p *Proxy) delay() time.Duration {
	lo, hi := p.latMin.Load(), p.latMax.Load()
	if hi <= 0 {
		return 0
	}
	if hi <= lo {
		return time.Duration(lo)
	}
	return time.Duration(lo + rand.Int64N(hi-lo))
}

// SetLatency adds a uniformly random delay in [lo, hi) to every forwarded chunk, in both
// directions; zero removes it.
func (p *Proxy) SetLatency(lo, hi time.Duration) {
	p.latMin.Store(int64(lo))
	p.latMax.Store(int64(hi))
}

// Cut closes every open connection, once. New connections are accepted as usual.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	victims := make([]*proxyConn, 0, len(p.conns))
	for pc := range p.conns {
		victims = append(victims, pc)
		delete(p.conns, pc)
	}
	p.mu.Unlock()
	for _, pc := range victims {
		pc.close()
	}
	p.cutConn.Add(int64(len(victims)))
	return len(victims)
}

// BlackHole stops forwarding: open connections stop moving data, and new ones are accepted
// but never dialled, until Heal.
func (p *Proxy) BlackHole() {
	p.mu.Lock()
	if p.hole == nil {
		p.hole = make(chan struct{})
	}
	p.mu.Unlock()
}

// Heal ends a black hole: held data and held connections move on.
func (p *Proxy) Heal() {
	p.mu.Lock()
	if p.hole != nil {
		close(p.hole)
		p.hole = nil
	}
	p.mu.Unlock()
}

// ProxyStats are the proxy's connection counters.
type ProxyStats struct {
	Opened int64 // connections accepted since the start
	Open   int   // connections open now
	Peak   int   // most connections open at once since the last ResetPeak
}

// Stats reads the counters.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return ProxyStats{Opened: p.opened.Load(), Open: len(p.conns), Peak: p.peak}
}

// ResetPeak starts a new peak measurement from the current number of open connections.
func (p *Proxy) ResetPeak() {
	p.mu.Lock()
	p.peak = len(p.conns)
	p.mu.Unlock()
}

// Close stops listening, heals and closes every connection, and waits for its goroutines.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.mu.Lock()
	p.closed = true
	if p.hole != nil {
		close(p.hole)
		p.hole = nil
	}
	victims := make([]*proxyConn, 0, len(p.conns))
	for pc := range p.conns {
		victims = append(victims, pc)
	}
	p.mu.Unlock()
	for _, pc := range victims {
		pc.close()
	}
	p.wg.Wait()
	return err
}

// Proxies are the proxies of a fleet, one per instance (so that connections are counted per
// instance); a fault applies to all of them at once.
type Proxies []*Proxy

// SetLatency sets the added delay of every proxy.
func (ps Proxies) SetLatency(lo, hi time.Duration) {
	for _, p := range ps {
		p.SetLatency(lo, hi)
	}
}

// Cut closes every open connection of every proxy and returns how many it closed.
func (ps Proxies) Cut() int {
	n := 0
	for _, p := range ps {
		n += p.Cut()
	}
	return n
}

// BlackHole black-holes every proxy.
func (ps Proxies) BlackHole() {
	for _, p := range ps {
		p.BlackHole()
	}
}

// Heal heals every proxy.
func (ps Proxies) Heal() {
	for _, p := range ps {
		p.Heal()
	}
}

// Close closes every proxy.
func (ps Proxies) Close() {
	for _, p := range ps {
		_ = p.Close()
	}
}

// ClientConns counts, from /proc/net/tcp, the established IPv4 connections whose remote end is
// each of ports: seen from the instance's side, how many database connections it holds open
// (the proxy's own count also includes connections the instance already gave up, e.g. inside
// a black hole). ports[i] → counts[i].
func ClientConns(ports []int) ([]int, error) {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return nil, err
	}
	counts := make([]int, len(ports))
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 4 || f[3] != "01" { // 01: ESTABLISHED
			continue
		}
		_, hexPort, ok := strings.Cut(f[2], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseInt(hexPort, 16, 32)
		if err != nil {
			continue
		}
		for i, p := range ports {
			if int(port) == p {
				counts[i]++
			}
		}
	}
	return counts, nil
}

// Port is the proxy's listening port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }
