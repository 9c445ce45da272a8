// Command release checks and prepares a release of the ratchet modules (docs/RELEASING.md).
//
// Every library module (each go.work module not under tests/ or examples/) is released at
// the one version in VERSION, and every go.mod requires its sibling ratchet modules at that
// version, keeping a replace directive to the sibling's directory for builds inside the
// checkout (a consumer ignores replace directives and resolves the real version).
//
//	go run . check            the release check (make release-check): go.mod files agree
//	                          with VERSION, README.md agrees with the quick-start programs,
//	                          and each library module installs with go get from a file
//	                          module proxy built from the working tree, in a fresh module
//	                          outside the repository with no network; each quick-start
//	                          program is built, started and signed into
//	go run . versions         only the go.mod/VERSION agreement
//	go run . proxy DIR        only write the file module proxy to DIR
//	go run . set-version V    write V to VERSION, to every go.mod's ratchet requirements and
//	                          to README.md's install lines
//	go run . tags             print the git commands that tag VERSION (creates nothing)
//
// The -root flag names the repository root; by default it is found above the working
// directory (the directory holding go.work and VERSION).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("release: ")
	root := flag.String("root", "", "repository root (default: found above the working directory)")
	keep := flag.Bool("keep", false, "check: keep the temporary directory (proxy, consumer modules)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: release [-root DIR] [-keep] check | versions | proxy DIR | set-version VERSION | tags")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(*root, *keep, flag.Args()); err != nil {
		log.Fatal(err)
	}
}

func run(root string, keep bool, args []string) error {
	if len(args) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if root, err = FindRoot(wd); err != nil {
			return err
		}
	}
	r, err := LoadRepo(root)
	if err != nil {
		return err
	}
	want := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d argument(s)", args[0], n-1)
		}
		return nil
	}
	switch args[0] {
	case "check":
		if err := want(1); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		c := &Check{Repo: r, Keep: keep, Log: log.Printf}
		return c.Run(ctx)
	case "versions":
		if err := want(1); err != nil {
			return err
		}
		if errs := r.CheckLockstep(); len(errs) > 0 {
			return errors.Join(errs...)
		}
		log.Printf("every go.mod requires the ratchet modules at %s", r.Version)
		return nil
	case "proxy":
		if err := want(2); err != nil {
			return err
		}
		if errs := r.CheckLockstep(); len(errs) > 0 {
			return errors.Join(errs...)
		}
		if err := os.MkdirAll(args[1], 0o755); err != nil {
			return err
		}
		mods, err := r.BuildProxy(args[1], "")
		if err != nil {
			return err
		}
		for _, m := range mods {
			log.Printf("%s@%s (%d files)", m.Path, m.Version.Version, m.Files)
		}
		return nil
	case "set-version":
		if err := want(2); err != nil {
			return err
		}
		old := r.Version
		if r, err = r.SetVersion(args[1]); err != nil {
			return err
		}
		if errs := r.CheckLockstep(); len(errs) > 0 {
			return errors.Join(errs...)
		}
		log.Printf("VERSION, every go.mod and README.md's install lines: %s -> %s (next: docs/RELEASING.md)", old, r.Version)
		return nil
	case "tags":
		if err := want(1); err != nil {
			return err
		}
		if errs := r.CheckLockstep(); len(errs) > 0 {
			return errors.Join(errs...)
		}
		fmt.Printf("# %s: one tag per library module, all on the release commit\n", r.Version)
		for _, c := range r.TagCommands() {
			fmt.Println(c)
		}
		return nil
	}
	flag.Usage()
	os.Exit(2)
	return nil
}
