package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The README marks what this check runs with HTML comments, each on the line just before a
// fenced block: the install lines, and one quoted program per testdata/quickstart directory.
const (
	installMarker = "<!-- release-check: install -->"
	programPrefix = "<!-- release-check: "
	markerSuffix  = " -->"
	quickstartDir = "tests/release/testdata/quickstart" // relative to the root
)

// Readme is what the README says a user runs.
type Readme struct {
	// Install maps a module path to its install line, split into words (comment removed),
	// e.g. ["go" "get" "github.com/ratchetauth/ratchet/adapters/gin@v0.1.0"].
	Install map[string][]string
	Order   []string          // the install lines' module paths, in README order
	Quoted  map[string][]byte // quoted program sources by path relative to the root
	Layout  string            // the "## Layout" section
}

// Program is a quick-start program under testdata/quickstart.
type Program struct {
	Name    string // its directory name, e.g. gin
	Rel     string // main.go's path relative to the root
	Source  []byte
	Imports []string
}

// ReadReadme parses README.md at the root.
func (r *Repo) ReadReadme() (*Readme, error) {
	data, err := os.ReadFile(filepath.Join(r.Root, "README.md"))
	if err != nil {
		return nil, err
	}
	rd := &Readme{Install: map[string][]string{}, Quoted: map[string][]byte{}}
	lines := strings.Split(string(data), "\n")
	installs := 0
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if strings.HasPrefix(lines[i], "## ") {
			if lines[i] == "## Layout" {
				end := i + 1
				for end < len(lines) && !strings.HasPrefix(lines[end], "## ") {
					end++
				}
				rd.Layout = strings.Join(lines[i:end], "\n")
			}
			continue
		}
		if !strings.HasPrefix(line, programPrefix) || !strings.HasSuffix(line, markerSuffix) {
			continue
		}
		block, next, err := fencedBlock(lines, i+1)
		if err != nil {
			return nil, fmt.Errorf("README.md:%d: %s: %w", i+1, line, err)
		}
		if line == installMarker {
			installs++
			if err := rd.parseInstall(block, r.Version); err != nil {
				return nil, fmt.Errorf("README.md:%d: %w", i+1, err)
			}
		} else {
			rel := strings.TrimSuffix(strings.TrimPrefix(line, programPrefix), markerSuffix)
			if _, dup := rd.Quoted[rel]; dup {
				return nil, fmt.Errorf("README.md:%d: %s is quoted twice", i+1, rel)
			}
			rd.Quoted[rel] = []byte(block)
		}
		i = next
	}
	if installs != 1 {
		return nil, fmt.Errorf("README.md: %d install blocks marked %q, want 1", installs, installMarker)
	}
	if rd.Layout == "" {
		return nil, fmt.Errorf("README.md: no ## Layout section")
	}
	return rd, nil
}

// fencedBlock returns the content of the fenced block that starts at lines[i] and the index of
// its closing fence.
func fencedBlock(lines []string, i int) (string, int, error) {
	if i >= len(lines) || !strings.HasPrefix(lines[i], "```") {
		return "", 0, fmt.Errorf("the marker must be followed by a fenced block on the next line")
	}
	var b strings.Builder
	for j := i + 1; j < len(lines); j++ {
		if lines[j] == "```" {
			return b.String(), j, nil
		}
		b.WriteString(lines[j])
		b.WriteByte('\n')
	}
	return "", 0, fmt.Errorf("unterminated fenced block")
}

// parseInstall reads lines of the form `go get <module>@<version>  # comment`.
func (rd *Readme) parseInstall(block, version string) error {
	sc := bufio.NewScanner(strings.NewReader(block))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		words := strings.Fields(line)
		if len(words) == 0 {
			continue
		}
		if len(words) != 3 || words[0] != "go" || words[1] != "get" {
			return fmt.Errorf("install line %q: want `go get <module>@%s`", sc.Text(), version)
		}
		mod, v, ok := strings.Cut(words[2], "@")
		if !ok || v != version {
			return fmt.Errorf("install line %q: want the version from VERSION, %s", sc.Text(), version)
		}
		if _, dup := rd.Install[mod]; dup {
			return fmt.Errorf("%s is installed twice", mod)
		}
		rd.Install[mod] = words
		rd.Order = append(rd.Order, mod)
	}
	return sc.Err()
}

// Programs reads every testdata/quickstart/*/main.go.
func (r *Repo) Programs() ([]*Program, error) {
	dirs, err := os.ReadDir(filepath.Join(r.Root, filepath.FromSlash(quickstartDir)))
	if err != nil {
		return nil, err
	}
	var ps []*Program
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		rel := quickstartDir + "/" + d.Name() + "/main.go"
		src, err := os.ReadFile(filepath.Join(r.Root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(token.NewFileSet(), rel, src, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		p := &Program{Name: d.Name(), Rel: rel, Source: src}
		for _, im := range f.Imports {
			ip, err := strconv.Unquote(im.Path.Value)
			if err != nil {
				return nil, err
			}
			p.Imports = append(p.Imports, ip)
		}
		ps = append(ps, p)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no programs in %s", quickstartDir)
	}
	return ps, nil
}

// Modules returns the library modules p imports, root first, or an error for an import of
// one of our packages that no library module provides.
func (r *Repo) programModules(p *Program) ([]*Module, error) {
	var mods []*Module
	for _, ip := range p.Imports {
		if !r.isOurs(ip) {
			continue
		}
		m := r.libraryFor(ip)
		if m == nil {
			return nil, fmt.Errorf("%s imports %s, which no library module provides", p.Rel, ip)
		}
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	slices.SortFunc(mods, func(a, b *Module) int { return strings.Compare(a.Path, b.Path) })
	return mods, nil
}

// CheckReadme reports every disagreement between the README and what the check runs: the
// install lines must be exactly one per library module at VERSION, every quick-start program
// must be quoted verbatim (and nothing else quoted), every program's imports must come from
// modules the README installs, and the layout must name every library module.
func (r *Repo) CheckReadme(rd *Readme, programs []*Program) []error {
	var errs []error
	for _, m := range r.Libraries() {
		if _, ok := rd.Install[m.Path]; !ok {
			errs = append(errs, fmt.Errorf("README.md: no install line `go get %s@%s` for the library module ./%s", m.Path, r.Version, m.Dir))
		}
		if m.Dir != "." && !strings.Contains(rd.Layout, "`"+m.Dir+"/`") {
			errs = append(errs, fmt.Errorf("README.md: the Layout section does not name the library module `%s/`", m.Dir))
		}
	}
	for _, p := range rd.Order {
		if m := r.ModuleByPath(p); m == nil || !m.Library {
			errs = append(errs, fmt.Errorf("README.md: install line for %s, which is not a library module", p))
		}
	}
	for _, p := range programs {
		q, ok := rd.Quoted[p.Rel]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("README.md does not quote %s (a %s block marked %q)", p.Rel, "```go", programPrefix+p.Rel+markerSuffix))
		case !bytes.Equal(q, p.Source):
			errs = append(errs, fmt.Errorf("README.md's quote of %s differs from the file", p.Rel))
		}
		if _, err := r.programModules(p); err != nil {
			errs = append(errs, err)
		}
	}
	for rel := range rd.Quoted {
		if !slices.ContainsFunc(programs, func(p *Program) bool { return p.Rel == rel }) {
			errs = append(errs, fmt.Errorf("README.md quotes %s, which is not a program in %s", rel, quickstartDir))
		}
	}
	return errs
}

// setReadmeVersion rewrites @<VERSION> to @v on the lines of README.md's install block.
func (r *Repo) setReadmeVersion(v string) error {
	name := filepath.Join(r.Root, "README.md")
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != installMarker {
			continue
		}
		_, end, err := fencedBlock(lines, i+1)
		if err != nil {
			return fmt.Errorf("README.md:%d: %w", i+1, err)
		}
		for j := i + 2; j < end; j++ {
			lines[j] = strings.ReplaceAll(lines[j], "@"+r.Version, "@"+v)
		}
	}
	return os.WriteFile(name, []byte(strings.Join(lines, "\n")), 0o644)
}
