package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFleetShort runs the short configuration (make fleet-short) on PostgreSQL, MariaDB and
// SQLite: it needs both servers and builds the example binaries, so it runs under CI=true
// (make test in .ci/run: it must never skip there) or with FLEET=1, and skips loudly otherwise. It fails on an unexpected logout, a lost session, a resurrection, a refresh loop
// or a descriptor leak, and never on latencies (it reports them).
func TestFleetShort(t *testing.T) {
	if os.Getenv("FLEET") != "1" && os.Getenv("CI") != "true" {
		t.Skip("\n\n*** SKIPPING the fleet test: set FLEET=1 to run it (make fleet-short); CI=true always runs it ***\n" +
			"*** it needs PostgreSQL and MariaDB and takes about 90 s ***\n")
	}
	wd, _ := os.Getwd()
	root, err := FindRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	dbs := []string{"postgres", "mariadb", "sqlite"}
	if v := os.Getenv("FLEET_DB"); v != "" {
		dbs = splitList(v)
	}
	// The binaries are built once for every database.
	base, err := Preset("short", "postgres")
	if err != nil {
		t.Fatal(err)
	}
	base.Root, base.Src = root, os.Getenv("FLEET_SRC") // e.g. HEAD: build a clean export of it
	var log strings.Builder
	build, err := BuildFor(context.Background(), base, base.Frameworks, t.TempDir(), &log)
	if err != nil {
		t.Fatalf("%s%v", log.String(), err)
	}
	for _, db := range dbs {
		t.Run(db, func(t *testing.T) {
			cfg, err := Preset("short", db)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Root, cfg.Src, cfg.Build = root, base.Src, build
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			var progress strings.Builder
			rep := Run(ctx, cfg, &progress)
			var md strings.Builder
			rep.WriteMarkdown(&md)
			t.Log("\n" + progress.String() + md.String())
			if rep.Err != nil {
				t.Fatalf("the fleet run did not complete: %v", rep.Err)
			}
			for _, f := range rep.Failures() {
				t.Error(f)
			}
		})
	}
}

func TestPresetsValidate(t *testing.T) {
	for _, p := range []string{"full", "short"} {
		for _, db := range []string{"postgres", "mariadb", "sqlite"} {
			c, err := Preset(p, db)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Errorf("%s/%s: %v", p, db, err)
			}
		}
	}
	if _, err := Preset("huge", "postgres"); err == nil {
		t.Error("unknown preset accepted")
	}
}
