# ratchet: `make run` starts the demo, `make test` runs every test with -race.
SHELL := /bin/bash
GO ?= go
STATICCHECK_VERSION := v0.7.0
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck

# Every module listed in go.work, in order.
MODULES := $(shell sed -n 's/^[[:space:]]*\(\.[^[:space:]]*\)$$/\1/p' go.work)

.PHONY: run test test-go bench lint fmt staticcheck fuzz help

help:
	@echo "make run    - start the demo app (http://127.0.0.1:3000)"
	@echo "make test   - run all tests with -race (needs PostgreSQL, MariaDB; CI=true forbids skips)"
	@echo "make bench  - run the benchmarks"
	@echo "make lint   - gofmt, go vet and staticcheck in every module"
	@echo "make fuzz   - run every fuzz target for FUZZTIME (default 30s)"

run:
	$(GO) run ./examples/nethttp

test: test-go

test-go:
	@set -e; for m in $(MODULES); do \
		echo "== go test -race $$m"; \
		(cd $$m && $(GO) test -race -count=1 -timeout 15m ./...); \
	done

bench:
	@set -e; for m in $(MODULES); do \
		echo "== go test -bench $$m"; \
		(cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...); \
	done

FUZZTIME ?= 30s
FUZZ_TARGETS := FuzzVerifyAccessToken FuzzParseRefreshToken FuzzCookieAndHeaderExtraction FuzzFrontToken FuzzSignInBody

# Each fuzz target for FUZZTIME (CI smoke: FUZZTIME=15s).
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./core; \
	done

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

staticcheck: $(STATICCHECK)

lint: $(STATICCHECK)
	@set -e; bad=$$(gofmt -l $(MODULES)); if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	@set -e; for m in $(MODULES); do \
		echo "== vet + staticcheck $$m"; \
		(cd $$m && $(GO) vet ./... && $(STATICCHECK) ./...); \
	done
