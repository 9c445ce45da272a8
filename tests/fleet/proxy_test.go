package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer answers every line with the same line, on 127.0.0.1.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	return ln.Addr().String()
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, msg string) error {
	t.Helper()
	if _, err := c.Write([]byte(msg + "\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != msg+"\n" {
		t.Fatalf("echo: got %q, want %q", line, msg)
	}
	return nil
}

func TestProxyForwardsCutsAndBlackHoles(t *testing.T) {
	p, err := NewProxy(echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	if err := roundTrip(t, c, r, "hello"); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Opened != 1 || s.Open != 1 || s.Peak != 1 {
		t.Fatalf("stats after one connection: %+v", s)
	}

	// Latency slows, but forwards.
	p.SetLatency(time.Millisecond, 2*time.Millisecond)
	if err := roundTrip(t, c, r, "slow"); err != nil {
		t.Fatal(err)
	}
	p.SetLatency(0, 0)

	// Black hole: nothing comes back while it lasts, on the open connection or a new one;
	// after healing, the held data arrives and the new connection works.
	p.BlackHole()
	if _, err := c.Write([]byte("held\n")); err != nil {
		t.Fatal(err)
	}
	c2, err := net.Dial("tcp", p.Addr()) // accepted, never dialled upstream until healed
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := c2.Write([]byte("held too\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := r.ReadString('\n'); !isTimeout(err) {
		t.Fatalf("read through a black hole: %v, want a timeout", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	p.Heal()
	if line, err := r.ReadString('\n'); err != nil || line != "held\n" {
		t.Fatalf("after heal: %q, %v", line, err)
	}
	r2 := bufio.NewReader(c2)
	if line, err := r2.ReadString('\n'); err != nil || line != "held too\n" {
		t.Fatalf("new connection after heal: %q, %v", line, err)
	}

	// Cut closes every open connection; new ones work.
	if n := p.Cut(); n != 2 {
		t.Fatalf("Cut closed %d connections, want 2", n)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadString('\n'); err == nil || isTimeout(err) {
		t.Fatalf("read after cut: %v, want EOF or reset", err)
	}
	c3, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if err := roundTrip(t, c3, bufio.NewReader(c3), "again"); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Opened != 3 || s.Peak != 2 {
		t.Fatalf("stats at the end: %+v (want 3 opened, peak 2)", s)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func TestPercentiles(t *testing.T) {
	var v []time.Duration
	for i := 1; i <= 100; i++ {
		v = append(v, time.Duration(101-i)*time.Millisecond)
	}
	l := percentiles(v)
	if l.N != 100 || l.P50 != 50*time.Millisecond || l.P99 != 99*time.Millisecond || l.Max != 100*time.Millisecond {
		t.Fatalf("percentiles: %+v", l)
	}
	if l := percentiles(nil); l.N != 0 {
		t.Fatalf("empty: %+v", l)
	}
}

func TestNewestAndCookieShare(t *testing.T) {
	got := newest([]string{"a", "b", "a", "c", "c"}, 2)
	if len(got) != 2 || got[0] != "c" || got[1] != "a" {
		t.Fatalf("newest: %q", got)
	}
	n := 0
	for i := range 100 {
		if usesCookies(i, 0.25) {
			n++
		}
	}
	if n != 25 || usesCookies(0, 0) || !usesCookies(0, 1) {
		t.Fatalf("cookie share 0.25 picked %d of 100", n)
	}
}
