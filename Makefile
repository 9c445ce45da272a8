# ratchet: `make run` starts the demo, `make test` runs every test with -race.
SHELL := /bin/bash
GO ?= go
STATICCHECK_VERSION := v0.7.0
GOBIN := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck

# Every module listed in go.work, in order.
MODULES := $(shell sed -n 's/^[[:space:]]*\(\.[^[:space:]]*\)$$/\1/p' go.work)

.PHONY: test-floors run test test-go test-alloc test-e2e e2e e2e-deps interop interop-deps test-interop-deps bench lint fmt staticcheck fuzz help

# The browser the e2e tests drive: Debian's chromium (playwright-core never downloads one).
CHROMIUM ?= /usr/bin/chromium

help:
	@echo "make run    - start the Gin demo app on SQLite (http://127.0.0.1:3000)"
	@echo "make test   - run all tests with -race (needs PostgreSQL, MariaDB; CI=true forbids skips),"
	@echo "              plus the browser tests when Chromium is installed (always under CI=true)"
	@echo "make e2e    - the browser tests (installs Debian's chromium and the npm packages if missing)"
	@echo "make interop - keyfunc (Go) and jose (Node) verify our tokens through the JWKS"
	@echo "make bench  - run the benchmarks"
	@echo "make bench-db - ratchet next to the raw SQL it sends (refresh, sign-in, strict verify; 1, 8, 32 clients)"
	@echo "              on PostgreSQL, MariaDB and SQLite (tests/gorm BenchmarkDatabaseFloor; BENCH_DB_N ops each)"
	@echo "make lint   - gofmt, go mod tidy -diff, go vet and staticcheck in every module"
	@echo "make fuzz   - run every fuzz target for FUZZTIME (default 30s)"
	@echo "make release-check - install every library module with go get from outside the repository"
	@echo "              (a module proxy made from the working tree, no network) and run the README's programs"
	@echo "make set-version V=v0.2.0 - write V to VERSION, every go.mod and README's install lines"
	@echo "make release-tags - print the git tag commands for VERSION (docs/RELEASING.md)"

run:
	$(GO) run ./examples/gin

test: test-interop-deps test-go test-floors test-e2e release-check

# The jose interop test (tests/interop/jose_test.go, run by test-go) needs node and the npm packages
# of tests/interop/jose/package-lock.json. Under CI=true they are always installed (a missing node is
# then a test failure); elsewhere only when npm is there, and the test skips loudly otherwise.
test-interop-deps:
	@if command -v npm >/dev/null || [ "$$CI" = true ]; then \
		$(MAKE) --no-print-directory interop-deps; \
	else \
		echo "== interop: npm is not installed; the jose interop test will skip"; \
	fi

interop-deps: tests/interop/jose/node_modules/.package-lock.json

tests/interop/jose/node_modules/.package-lock.json: tests/interop/jose/package.json tests/interop/jose/package-lock.json
	cd tests/interop/jose && npm ci --no-audit --no-fund
	@touch $@

# Third-party verifiers (keyfunc in Go, jose in Node) against our JWKS, across rotations.
interop: interop-deps
	cd tests/interop && $(GO) test -race -count=1 -v ./...

# The browser tests run whenever Chromium is installed, and always under CI=true, where
# `make e2e` installs it: a missing browser is then a failure, never a skip.
test-e2e:
	@if [ -x $(CHROMIUM) ] || [ "$$CI" = true ]; then \
		$(MAKE) --no-print-directory e2e; \
	else \
		echo "== e2e skipped: $(CHROMIUM) is not installed (make e2e installs it)"; \
	fi

# What the browser tests need: Debian's chromium and the npm packages of e2e/package-lock.json.
e2e-deps: $(CHROMIUM) e2e/node_modules/.package-lock.json

e2e: e2e-deps
	@echo "== e2e: real-browser tests (gin, fiber and echov5 examples; demo page and supertokens-website)"
	cd e2e && CHROMIUM=$(CHROMIUM) npm test

$(CHROMIUM):
	@echo "== installing Debian's chromium"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
	@test -x $(CHROMIUM)

e2e/node_modules/.package-lock.json: e2e/package.json e2e/package-lock.json
	cd e2e && npm ci --no-audit --no-fund
	@touch $@

# The workspace resolves each framework to the highest version any module asks for; this pass
# tests every adapter alone (GOWORK=off) on the lowest framework version its go.mod pins.
FLOOR_MODULES := adapters/gin adapters/echo adapters/echov5 adapters/fiber
test-floors:
	@set -e; for m in $(FLOOR_MODULES); do \
		echo "== go test -race (GOWORK=off, pinned framework floor) $$m"; \
		(cd $$m && GOWORK=off $(GO) test -race -count=1 ./...); \
	done

test-go:
	@set -e; for m in $(MODULES); do \
		echo "== go test -race $$m"; \
		(cd $$m && $(GO) test -race -count=1 -timeout 15m ./...); \
	done
	@$(MAKE) --no-print-directory test-alloc

# Allocation ceilings (core/allocceiling_test.go, and each tests/bench module's warm request)
# need a build without -race: the race detector's instrumentation allocates a varying amount, so
# those files are left out of -race builds and run here.
BENCH_MODULES := $(filter ./tests/bench/%,$(MODULES))
test-alloc:
	@echo "== go test (no -race) allocation ceilings ./core"
	$(GO) test -count=1 -run '^TestAllocationCeilings$$' ./core/
	@set -e; for m in $(BENCH_MODULES); do \
		echo "== go test (no -race) allocation ceilings $$m"; \
		(cd $$m && $(GO) test -count=1 -run '^TestAllocationCeilings$$' .); \
	done

bench:
	@set -e; for m in $(MODULES); do \
		echo "== go test -bench $$m"; \
		(cd $$m && $(GO) test -run '^$$' -bench . -benchmem ./...); \
	done

# Issue 15's "database-bound, not library-bound" benchmark: each operation as bare database/sql
# on the store's own pool next to ratchet's, in one run (tests/gorm/floor_bench_test.go).
# Needs PostgreSQL and MariaDB; prints the machine's load before and after.
BENCH_DB_N ?= 2000
.PHONY: bench-db
bench-db:
	@uptime
	cd tests/gorm && $(GO) test -run '^$$' -bench '^BenchmarkDatabaseFloor$$' -benchtime=$(BENCH_DB_N)x -timeout 30m .
	@uptime

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
		echo "== go mod tidy -diff + vet + staticcheck $$m"; \
		(cd $$m && $(GO) mod tidy -diff && $(GO) vet ./... && $(STATICCHECK) ./...); \
	done

# The fleet test (tests/fleet/, docs/OPERATIONS.md): several example instances on one fresh database
# behind a fault-injecting TCP proxy, driven by simulated browsers; it fails on an unexpected
# logout, a lost session, a resurrection after sign-out or a descriptor leak. The short run is
# part of `make test` under CI=true (fleet's TestFleetShort, run by test-go), and skips loudly
# elsewhere unless FLEET=1. fleet: the full configuration on PostgreSQL, MariaDB and SQLite (one
# instance); fleet-short: the short one (about 70–90 s), as the FLEET=1 Go test. FLEET_FLAGS adds
# flags to `make fleet`, e.g. FLEET_FLAGS='-src HEAD' builds a clean export of the last commit.
.PHONY: fleet fleet-short
FLEET_FLAGS ?=
fleet:
	cd tests/fleet && $(GO) run . -preset full -db postgres,mariadb,sqlite $(FLEET_FLAGS)

fleet-short:
	cd tests/fleet && FLEET=1 $(GO) test -count=1 -v -timeout 15m -run '^TestFleetShort$$' .

# Releases (docs/RELEASING.md). Every library module (each go.work module outside tests/ and
# examples/) carries the version in VERSION, and every go.mod requires its sibling modules at it.
# release-check: the go.mod files and README.md agree with VERSION and the quick-start programs
# (tests/release's tests), then a file module proxy is made from the working tree and, in a new
# module outside the repository with no network and an empty module cache, the README's install
# lines run and each quick-start program is built, started on a loopback port and signed into.
# It never skips; any failure fails make. The tool runs with GOWORK=off: it needs nothing from
# the workspace.
.PHONY: release-check set-version release-tags
release-check:
	cd tests/release && GOWORK=off $(GO) test -count=1 ./... && GOWORK=off $(GO) run . check

set-version:
	@test -n "$(V)" || { echo "usage: make set-version V=v0.2.0"; exit 2; }
	cd tests/release && GOWORK=off $(GO) run . set-version $(V)

release-tags:
	@cd tests/release && GOWORK=off $(GO) run . tags
