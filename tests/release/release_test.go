package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func loadRealRepo(t *testing.T) *Repo {
	t.Helper()
	root, err := FindRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	r, err := LoadRepo(root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLockstep: every go.mod of the repository requires the ratchet modules at VERSION,
// with a replace directive to their directories, and go.work lists every go.mod.
func TestLockstep(t *testing.T) {
	r := loadRealRepo(t)
	for _, err := range r.CheckLockstep() {
		t.Error(err)
	}
}

// TestReadmeAgrees: README.md's install lines are one per library module at VERSION, it
// quotes every quick-start program verbatim, and its layout names every library module.
func TestReadmeAgrees(t *testing.T) {
	r := loadRealRepo(t)
	rd, err := r.ReadReadme()
	if err != nil {
		t.Fatal(err)
	}
	programs, err := r.Programs()
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range r.CheckReadme(rd, programs) {
		t.Error(err)
	}
}

// TestLibraries: the published set is discovered from go.work: the root and every module
// outside tests/ and examples/, root first.
func TestLibraries(t *testing.T) {
	r := loadRealRepo(t)
	libs := libraryDirs(r)
	if len(libs) == 0 || libs[0] != "." {
		t.Fatalf("libraries %v: want the root module first", libs)
	}
	for _, d := range []string{".", "adapters/gin", "adapters/echo", "adapters/fiber", "stores/gorm", "stores/gorm/pglisten"} {
		if !slices.Contains(libs, d) {
			t.Errorf("libraries %v: %s is missing", libs, d)
		}
	}
	for _, m := range r.Modules {
		if m.Library == underAny(m.Dir, []string{"tests", "examples"}) {
			t.Errorf("%s: Library = %t", m.Dir, m.Library)
		}
	}
	if r.Module("tests/release") == nil {
		t.Error("go.work does not use ./tests/release")
	}
}

// TestQuickstartFormatted: the programs the README quotes are gofmt-formatted (go vet and
// gofmt -l skip testdata).
func TestQuickstartFormatted(t *testing.T) {
	r := loadRealRepo(t)
	programs, err := r.Programs()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range programs {
		got, err := format.Source(p.Source)
		if err != nil {
			t.Errorf("%s: %v", p.Rel, err)
			continue
		}
		if !bytes.Equal(got, p.Source) {
			t.Errorf("%s is not gofmt-formatted", p.Rel)
		}
		if _, err := r.programModules(p); err != nil {
			t.Error(err)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"v0.1.0": true, "v1.2.3": true, "v0.2.0-rc.1": true,
		"0.1.0": false, "v0.1": false, "v2.0.0": false, "v0.1.0+build": false, "": false,
	} {
		if err := CheckVersion(v); (err == nil) != ok {
			t.Errorf("CheckVersion(%q) = %v, want ok=%t", v, err, ok)
		}
	}
}

// writeTree writes files (slash paths relative to dir) into dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const fakeProgram = `package main

import (
	"fmt"

	"example.com/Fake/core"
	sub "example.com/Fake/sub"
)

func main() { fmt.Println(core.X, sub.Y) }
`

// fakeRepo is a small repository laid out as ours: a root module (with an uppercase letter
// in its path, to exercise escaping), a nested library module, a test-only module, and a
// README with the release-check markers.
func fakeRepo(t *testing.T) (string, map[string]string) {
	dir := t.TempDir()
	files := map[string]string{
		"VERSION":      "v0.1.0\n",
		"go.work":      "go 1.24\n\nuse (\n\t.\n\t./sub\n\t./tests/x\n)\n",
		"go.mod":       "module example.com/Fake\n\ngo 1.24\n",
		"core/core.go": "package core\n\nconst X = 1\n",
		"sub/go.mod": "module example.com/Fake/sub\n\ngo 1.24\n\nrequire example.com/Fake v0.1.0\n\n" +
			"replace example.com/Fake => ../\n",
		"sub/sub.go":                    "package sub\n\nconst Y = 2\n",
		"tests/x/go.mod":                "module example.com/Fake/tests/x\n\ngo 1.24\n\nrequire (\n\texample.com/Fake v0.1.0\n\texample.com/Fake/sub v0.1.0\n)\n\nreplace (\n\texample.com/Fake => ../..\n\texample.com/Fake/sub => ../../sub\n)\n",
		"tests/x/x_test.go":             "package x\n",
		quickstartDir + "/demo/main.go": fakeProgram,
		"README.md": "# fake\n\n## Install\n\n" + installMarker + "\n```sh\n" +
			"go get example.com/Fake@v0.1.0      # root\n" +
			"go get example.com/Fake/sub@v0.1.0  # sub\n```\n\n" +
			programPrefix + quickstartDir + "/demo/main.go" + markerSuffix + "\n```go\n" + fakeProgram + "```\n\n" +
			"## Layout\n\n| `sub/` | own module |\n\n## License\n",
	}
	writeTree(t, dir, files)
	return dir, files
}

func mustLoad(t *testing.T, dir string) *Repo {
	t.Helper()
	r, err := LoadRepo(dir)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func errorsContain(errs []error, substr string) bool {
	return slices.ContainsFunc(errs, func(e error) bool { return strings.Contains(e.Error(), substr) })
}

func TestFakeRepoIsClean(t *testing.T) {
	dir, _ := fakeRepo(t)
	r := mustLoad(t, dir)
	if errs := r.CheckLockstep(); len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	rd, err := r.ReadReadme()
	if err != nil {
		t.Fatal(err)
	}
	programs, err := r.Programs()
	if err != nil {
		t.Fatal(err)
	}
	if errs := r.CheckReadme(rd, programs); len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	if got := libraryDirs(r); !slices.Equal(got, []string{".", "sub"}) {
		t.Errorf("libraries %v, want [. sub]", got)
	}
}

// TestLockstepFindsDrift: a half-done bump, a missing replace, a requirement on a test-only
// module and a go.mod outside go.work are all reported.
func TestLockstepFindsDrift(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"old version", map[string]string{"sub/go.mod": "module example.com/Fake/sub\n\ngo 1.24\n\nrequire example.com/Fake v0.0.9\n\nreplace example.com/Fake => ../\n"},
			"sub/go.mod requires example.com/Fake v0.0.9, but VERSION is v0.1.0"},
		{"no replace", map[string]string{"sub/go.mod": "module example.com/Fake/sub\n\ngo 1.24\n\nrequire example.com/Fake v0.1.0\n"},
			"without a replace directive"},
		{"wrong replace", map[string]string{"sub/go.mod": "module example.com/Fake/sub\n\ngo 1.24\n\nrequire example.com/Fake v0.1.0\n\nreplace example.com/Fake => ../sub\n"},
			"which is not its directory"},
		{"test-only requirement", map[string]string{"sub/go.mod": "module example.com/Fake/sub\n\ngo 1.24\n\nrequire (\n\texample.com/Fake v0.1.0\n\texample.com/Fake/tests/x v0.1.0\n)\n\nreplace (\n\texample.com/Fake => ../\n\texample.com/Fake/tests/x => ../tests/x\n)\n"},
			"the library module sub requires the test-only module example.com/Fake/tests/x"},
		{"stray module", map[string]string{"extra/go.mod": "module example.com/Fake/extra\n\ngo 1.24\n"},
			"extra/go.mod is not listed in go.work"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, _ := fakeRepo(t)
			writeTree(t, dir, c.files)
			errs := mustLoad(t, dir).CheckLockstep()
			if !errorsContain(errs, c.want) {
				t.Errorf("errors %v, want one containing %q", errs, c.want)
			}
		})
	}
}

// TestReadmeDrift: a README that misses a module, pins another version, or quotes a program
// that differs from the file is reported.
func TestReadmeDrift(t *testing.T) {
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"missing install line", "go get example.com/Fake/sub@v0.1.0  # sub\n", "", "no install line `go get example.com/Fake/sub@v0.1.0`"},
		{"changed quote", "fmt.Println(core.X, sub.Y)", "fmt.Println(sub.Y)", "quote of " + quickstartDir + "/demo/main.go differs"},
		{"layout", "| `sub/` | own module |", "", "does not name the library module `sub/`"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, files := fakeRepo(t)
			writeTree(t, dir, map[string]string{"README.md": strings.Replace(files["README.md"], c.old, c.new, 1)})
			r := mustLoad(t, dir)
			rd, err := r.ReadReadme()
			if err != nil {
				t.Fatal(err)
			}
			programs, err := r.Programs()
			if err != nil {
				t.Fatal(err)
			}
			if errs := r.CheckReadme(rd, programs); !errorsContain(errs, c.want) {
				t.Errorf("errors %v, want one containing %q", errs, c.want)
			}
		})
	}
	dir, files := fakeRepo(t)
	writeTree(t, dir, map[string]string{"README.md": strings.Replace(files["README.md"], "Fake/sub@v0.1.0", "Fake/sub@v0.0.9", 1)})
	if _, err := mustLoad(t, dir).ReadReadme(); err == nil || !strings.Contains(err.Error(), "want the version from VERSION, v0.1.0") {
		t.Errorf("ReadReadme with a stale version: %v", err)
	}
}

// TestSetVersion: one command moves VERSION, every go.mod requirement and the README's
// install lines, and the tags follow.
func TestSetVersion(t *testing.T) {
	dir, files := fakeRepo(t)
	r, err := mustLoad(t, dir).SetVersion("v0.2.0")
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != "v0.2.0" {
		t.Errorf("Version = %s", r.Version)
	}
	if errs := r.CheckLockstep(); len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	rd, err := r.ReadReadme()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rd.Install["example.com/Fake/sub"], " "); got != "go get example.com/Fake/sub@v0.2.0" {
		t.Errorf("README install line: %q", got)
	}
	// Only the version lines change.
	got, err := os.ReadFile(filepath.Join(dir, "tests/x/go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ReplaceAll(files["tests/x/go.mod"], " v0.1.0", " v0.2.0"); string(got) != want {
		t.Errorf("tests/x/go.mod:\n%s\nwant:\n%s", got, want)
	}
	tags := r.TagCommands()
	want := []string{
		`git tag -a v0.2.0 -m "ratchet v0.2.0"`,
		`git tag -a sub/v0.2.0 -m "ratchet v0.2.0"`,
		"git push origin v0.2.0 sub/v0.2.0",
	}
	if !slices.Equal(tags, want) {
		t.Errorf("TagCommands:\n%s\nwant:\n%s", strings.Join(tags, "\n"), strings.Join(want, "\n"))
	}
	if _, err := r.SetVersion("v2.0.0"); err == nil {
		t.Error("SetVersion(v2.0.0) succeeded")
	}
}

// TestProxyLayout: the proxy has the layout GOPROXY=file:// reads, with escaped paths, and
// zips that leave out nested modules and (in a git work tree) ignored files.
func TestProxyLayout(t *testing.T) {
	dir, files := fakeRepo(t)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	writeTree(t, dir, map[string]string{".gitignore": "*.db\n", "core/local.db": "ignored", "core/untracked.go": "package core\n"})
	git("add", "go.mod", "core/core.go", "sub", ".gitignore")

	r := mustLoad(t, dir)
	proxy := t.TempDir()
	mods, err := r.BuildProxy(proxy, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if len(mods) != 2 {
		t.Fatalf("modules %v, want the root and sub", mods)
	}
	root := filepath.Join(proxy, "example.com", "!fake", "@v")
	list, err := os.ReadFile(filepath.Join(root, "list"))
	if err != nil || string(list) != "v0.1.0\n" {
		t.Errorf("list: %q, %v", list, err)
	}
	var info struct{ Version, Time string }
	data, err := os.ReadFile(filepath.Join(root, "v0.1.0.info"))
	if err != nil || json.Unmarshal(data, &info) != nil || info.Version != "v0.1.0" || info.Time == "" {
		t.Errorf("info: %s, %v", data, err)
	}
	if mod, err := os.ReadFile(filepath.Join(root, "v0.1.0.mod")); err != nil || string(mod) != files["go.mod"] {
		t.Errorf("mod: %q, %v", mod, err)
	}
	// Tracked and untracked files are in, ignored ones and the nested module are out.
	if got, want := zipFiles(t, "example.com/Fake", filepath.Join(root, "v0.1.0.zip")),
		[]string{".gitignore", "README.md", "VERSION", "core/core.go", "core/untracked.go", "go.mod", "go.work", quickstartDir + "/demo/main.go"}; !slices.Equal(got, want) {
		t.Errorf("root zip holds %v, want %v", got, want)
	}
	if got, want := zipFiles(t, "example.com/Fake/sub", filepath.Join(proxy, "example.com", "!fake", "sub", "@v", "v0.1.0.zip")),
		[]string{"go.mod", "sub.go"}; !slices.Equal(got, want) {
		t.Errorf("sub zip holds %v, want %v", got, want)
	}
}

// zipFiles checks a module zip of path at v0.1.0 and lists its files, sorted, without the
// path@version/ prefix.
func zipFiles(t *testing.T, path, name string) []string {
	t.Helper()
	mv := module.Version{Path: path, Version: "v0.1.0"}
	cf, err := zip.CheckZip(mv, name)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range cf.Valid {
		files = append(files, strings.TrimPrefix(f, mv.Path+"@"+mv.Version+"/"))
	}
	slices.Sort(files)
	return files
}
