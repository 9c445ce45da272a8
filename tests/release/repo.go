package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Repo is the checkout a release is cut from: the version in VERSION and every module that
// go.work lists.
type Repo struct {
	Root    string // absolute directory holding go.work and VERSION
	Version string // the content of VERSION, e.g. v0.1.0
	Path    string // the root module's path
	Modules []*Module
}

// Module is one go.work module.
type Module struct {
	Dir     string // slash-separated, relative to Repo.Root; "." for the root module
	Path    string // module path
	File    *modfile.File
	Library bool // published and tagged: every module not under tests/ or examples/
}

// testOnly are the directories whose modules are never published: nothing outside the
// repository can import them, and no tag is cut for them.
var testOnly = []string{"tests", "examples"}

// Tag is the git tag that publishes the module at version: the bare version for the root
// module, <dir>/<version> for a nested one.
func (m *Module) Tag(version string) string {
	if m.Dir == "." {
		return version
	}
	return m.Dir + "/" + version
}

// FindRoot walks up from dir to the directory that holds both go.work and VERSION.
func FindRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if isFile(filepath.Join(d, "go.work")) && isFile(filepath.Join(d, "VERSION")) {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no directory holding go.work and VERSION above %s", dir)
		}
		d = parent
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// CheckVersion accepts a release version: canonical semver with a v, no build metadata, and
// major version 0 or 1 (v2 and later would need /v2 module paths, which the modules do not
// have).
func CheckVersion(v string) error {
	if !semver.IsValid(v) || semver.Canonical(v) != v {
		return fmt.Errorf("version %q is not a canonical semantic version such as v0.1.0", v)
	}
	if m := semver.Major(v); m != "v0" && m != "v1" {
		return fmt.Errorf("version %s: a major version above v1 needs a /%s suffix on every module path", v, m)
	}
	return nil
}

// LoadRepo reads VERSION, go.work and every go.mod it lists.
func LoadRepo(root string) (*Repo, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	v, err := os.ReadFile(filepath.Join(root, "VERSION"))
	if err != nil {
		return nil, err
	}
	r := &Repo{Root: root, Version: strings.TrimSpace(string(v))}
	if err := CheckVersion(r.Version); err != nil {
		return nil, fmt.Errorf("VERSION: %w", err)
	}
	workPath := filepath.Join(root, "go.work")
	data, err := os.ReadFile(workPath)
	if err != nil {
		return nil, err
	}
	work, err := modfile.ParseWork(workPath, data, nil)
	if err != nil {
		return nil, err
	}
	for _, u := range work.Use {
		dir := path.Clean(filepath.ToSlash(u.Path))
		if path.IsAbs(dir) || dir == ".." || strings.HasPrefix(dir, "../") {
			return nil, fmt.Errorf("go.work: %s is outside the repository", u.Path)
		}
		f, err := readGoMod(filepath.Join(root, filepath.FromSlash(dir), "go.mod"))
		if err != nil {
			return nil, err
		}
		r.Modules = append(r.Modules, &Module{Dir: dir, Path: f.Module.Mod.Path, File: f, Library: !underAny(dir, testOnly)})
	}
	rootMod := r.Module(".")
	if rootMod == nil {
		return nil, errors.New("go.work does not use the root module (.)")
	}
	r.Path = rootMod.Path
	for _, m := range r.Modules {
		// A module in a subdirectory is found, and tagged, only if its path is the root
		// module's path followed by its directory.
		if want := r.Path + "/" + m.Dir; m.Dir != "." && m.Path != want {
			return nil, fmt.Errorf("%s/go.mod: module path %s, want %s (the path the tag %s publishes)", m.Dir, m.Path, want, m.Tag(r.Version))
		}
		if err := module.CheckPath(m.Path); err != nil {
			return nil, fmt.Errorf("%s/go.mod: %w", m.Dir, err)
		}
	}
	return r, nil
}

func readGoMod(p string) (*modfile.File, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(p, data, nil)
	if err != nil {
		return nil, err
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s: no module line", p)
	}
	return f, nil
}

// underAny reports whether the slash path dir is one of tops or inside one.
func underAny(dir string, tops []string) bool {
	for _, t := range tops {
		if dir == t || strings.HasPrefix(dir, t+"/") {
			return true
		}
	}
	return false
}

// Module returns the go.work module in directory dir, or nil.
func (r *Repo) Module(dir string) *Module {
	for _, m := range r.Modules {
		if m.Dir == dir {
			return m
		}
	}
	return nil
}

// ModuleByPath returns the go.work module with module path p, or nil.
func (r *Repo) ModuleByPath(p string) *Module {
	for _, m := range r.Modules {
		if m.Path == p {
			return m
		}
	}
	return nil
}

// Libraries are the published modules, root first, in go.work order.
func (r *Repo) Libraries() []*Module {
	var libs []*Module
	for _, m := range r.Modules {
		if m.Library {
			libs = append(libs, m)
		}
	}
	return libs
}

// isOurs reports whether p is the root module's path or below it.
func (r *Repo) isOurs(p string) bool {
	return p == r.Path || strings.HasPrefix(p, r.Path+"/")
}

// CheckLockstep reports every way the modules disagree with VERSION: a requirement on one of
// our modules at another version, a library module's requirement on a module that is never
// published, a requirement without the replace directive that points it at the checkout, and
// a go.mod that go.work does not list (so neither make test nor this check would see it).
// Test-only modules are held to the same version so that one bump covers every go.mod.
func (r *Repo) CheckLockstep() []error {
	var errs []error
	for _, m := range r.Modules {
		for _, req := range m.File.Require {
			p := req.Mod.Path
			if !r.isOurs(p) {
				continue
			}
			target := r.ModuleByPath(p)
			switch {
			case target == nil:
				errs = append(errs, fmt.Errorf("%s/go.mod requires %s, which go.work does not list", m.Dir, p))
				continue
			case m.Library && !target.Library:
				errs = append(errs, fmt.Errorf("the library module %s requires the test-only module %s, which is never published", m.Dir, p))
			}
			if req.Mod.Version != r.Version {
				errs = append(errs, fmt.Errorf("%s/go.mod requires %s %s, but VERSION is %s (make set-version V=%s rewrites every go.mod)",
					m.Dir, p, req.Mod.Version, r.Version, r.Version))
			}
			if err := r.checkReplace(m, target); err != nil {
				errs = append(errs, err)
			}
		}
	}
	strays, err := r.strayModules()
	if err != nil {
		errs = append(errs, err)
	}
	for _, s := range strays {
		errs = append(errs, fmt.Errorf("%s/go.mod is not listed in go.work", s))
	}
	return errs
}

// checkReplace requires m's go.mod to point its requirement on target at target's directory,
// so that builds inside the checkout (GOWORK=off included) use the working tree.
func (r *Repo) checkReplace(m, target *Module) error {
	for _, rep := range m.File.Replace {
		if rep.Old.Path != target.Path {
			continue
		}
		if rep.New.Version != "" {
			return fmt.Errorf("%s/go.mod replaces %s with a module version, want the directory ./%s", m.Dir, target.Path, target.Dir)
		}
		got := filepath.Join(r.Root, filepath.FromSlash(m.Dir), filepath.FromSlash(rep.New.Path))
		if want := filepath.Join(r.Root, filepath.FromSlash(target.Dir)); got != want {
			return fmt.Errorf("%s/go.mod replaces %s with %s, which is not its directory ./%s", m.Dir, target.Path, rep.New.Path, target.Dir)
		}
		return nil
	}
	return fmt.Errorf("%s/go.mod requires %s without a replace directive to its directory", m.Dir, target.Path)
}

// strayModules lists the directories below the root that hold a go.mod go.work does not use.
// It skips what the go command skips (names starting with . or _, testdata) and node_modules.
func (r *Repo) strayModules() ([]string, error) {
	var strays []string
	err := filepath.WalkDir(r.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != r.Root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "go.mod" {
			return nil
		}
		rel, err := filepath.Rel(r.Root, filepath.Dir(p))
		if err != nil {
			return err
		}
		if dir := filepath.ToSlash(rel); r.Module(dir) == nil {
			strays = append(strays, dir)
		}
		return nil
	})
	return strays, err
}

// SetVersion writes v to VERSION, makes every go.mod require our modules at v (with go mod
// edit, so nothing else in the files changes) and moves README.md's install lines to v, then
// reloads the repository.
func (r *Repo) SetVersion(v string) (*Repo, error) {
	if err := CheckVersion(v); err != nil {
		return nil, err
	}
	if err := r.setReadmeVersion(v); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(r.Root, "VERSION"), []byte(v+"\n"), 0o644); err != nil {
		return nil, err
	}
	for _, m := range r.Modules {
		var args []string
		for _, req := range m.File.Require {
			if r.isOurs(req.Mod.Path) && req.Mod.Version != v {
				args = append(args, "-require="+req.Mod.Path+"@"+v)
			}
		}
		if len(args) == 0 {
			continue
		}
		cmd := exec.Command("go", append([]string{"mod", "edit"}, args...)...)
		cmd.Dir = filepath.Join(r.Root, filepath.FromSlash(m.Dir))
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("%s: go mod edit: %v\n%s", m.Dir, err, out)
		}
	}
	return LoadRepo(r.Root)
}

// TagCommands are the git commands that publish r.Version: one tag per library module, all
// on the same commit.
func (r *Repo) TagCommands() []string {
	var tags []string
	for _, m := range r.Libraries() {
		tags = append(tags, m.Tag(r.Version))
	}
	var cmds []string
	for _, t := range tags {
		cmds = append(cmds, fmt.Sprintf("git tag -a %s -m %q", t, "ratchet "+r.Version))
	}
	return append(cmds, "git push origin "+strings.Join(tags, " "))
}

// libraryFor returns the library module that provides the package with import path p: the
// one with the longest module path that is a prefix of p.
func (r *Repo) libraryFor(p string) *Module {
	var best *Module
	for _, m := range r.Modules {
		if (p == m.Path || strings.HasPrefix(p, m.Path+"/")) && (best == nil || len(m.Path) > len(best.Path)) {
			best = m
		}
	}
	if best == nil || !best.Library {
		return nil
	}
	return best
}
