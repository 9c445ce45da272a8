package core

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// parseProxies turns TrustedProxies entries (IPs or CIDRs) into prefixes.
func parseProxies(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("TrustedProxies: %q is neither an IP nor a CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

func (e *Engine) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range e.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the client's address. X-Forwarded-For is believed only when the peer is a
// configured trusted proxy; then the right-most address that is not itself a trusted proxy
// is the client (everything left of it could have been written by the client).
func (e *Engine) clientIP(req Request) string {
	return cleanClientString(e.rawClientIP(req), maxIPBytes)
}

func (e *Engine) rawClientIP(req Request) string {
	peer := req.RemoteAddr()
	if h, _, err := net.SplitHostPort(peer); err == nil {
		peer = h
	}
	pa, err := netip.ParseAddr(peer)
	if err != nil || len(e.proxies) == 0 || !e.trusted(pa) {
		return peer
	}
	xff := req.Header("X-Forwarded-For")
	for xff != "" {
		var hop string
		if i := strings.LastIndexByte(xff, ','); i >= 0 {
			hop, xff = strings.TrimSpace(xff[i+1:]), xff[:i]
		} else {
			hop, xff = strings.TrimSpace(xff), ""
		}
		a, err := netip.ParseAddr(hop)
		if err != nil {
			break // garbage: stop trusting the chain here
		}
		if !e.trusted(a) {
			return a.Unmap().String()
		}
		pa = a
	}
	return pa.Unmap().String()
}
