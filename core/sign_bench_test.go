package core

import (
	"crypto/ed25519"
	"strings"
	"testing"
)

// BenchmarkSignAccess is the access-token half of an issue or a refresh: signAccess (payload,
// header, one signature, the token, the front-token and the verified record) beside one bare
// signature of a signing input of the same size, per algorithm.
func BenchmarkSignAccess(b *testing.B) {
	k := newDiffKit(b, "")
	handle, rth1 := newHandle(), strings.Repeat("a", 64)
	for _, key := range []*SigningKey{k.ed, k.es, k.rs} {
		ring, err := NewStaticKeyRing(key)
		if err != nil {
			b.Fatal(err)
		}
		e, err := New(Config{Store: nopStore{}, Keys: ring, Clock: NewFakeClock(diffNow), RevocationPollInterval: -1,
			Audit: AuditConfig{Disable: true}})
		if err != nil {
			b.Fatal(err)
		}
		tok, _, err := e.signAccess("user-1", handle, rth1, diffNow, nil, diffNow)
		if err != nil {
			b.Fatal(err)
		}
		input := []byte(tok[:strings.LastIndexByte(tok, '.')])
		b.Run(key.Algorithm+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if priv, ok := key.Private.(ed25519.PrivateKey); ok {
					_ = ed25519.Sign(priv, input)
				} else if _, err := appendJWSSignature(input[:len(input):len(input)], 0, key); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(key.Algorithm+"/ratchet", func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				if _, v, err := e.signAccess("user-1", handle, rth1, diffNow, nil, diffNow); err != nil || frontToken(v) == "" {
					b.Fatal(err)
				}
			}
		})
		_ = e.Close()
	}
}
