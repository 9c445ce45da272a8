module github.com/ratchetauth/ratchet/examples

go 1.24

require github.com/ratchetauth/ratchet v0.0.0

replace github.com/ratchetauth/ratchet => ../
