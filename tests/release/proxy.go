package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

// ProxyModule is one module version written to the proxy.
type ProxyModule struct {
	module.Version
	Files int // files in its zip
}

// BuildProxy writes a file-based module proxy to dst (the layout GOPROXY=file://dst reads:
// <escaped path>/@v/list, <version>.info, .mod and .zip) holding every library module at
// r.Version, made from the working tree as the release tags would publish it.
//
// A tag publishes the committed files, so the zips are made from a copy of the files git
// would commit (tracked or untracked, minus what .gitignore excludes), through
// zip.CreateFromDir, which leaves out nested modules and applies the module zip rules. A
// file that a build needs but .gitignore hides therefore fails here as it would for a user.
// Outside a git work tree the copy is of every file but .git and node_modules.
func (r *Repo) BuildProxy(dst, scratch string) ([]ProxyModule, error) {
	stage, err := os.MkdirTemp(scratch, "stage-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)
	if err := r.stage(stage); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var out []ProxyModule
	for _, m := range r.Libraries() {
		mv := module.Version{Path: m.Path, Version: r.Version}
		n, err := writeProxyModule(dst, mv, filepath.Join(stage, filepath.FromSlash(m.Dir)), now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Dir, err)
		}
		out = append(out, ProxyModule{Version: mv, Files: n})
	}
	return out, nil
}

// writeProxyModule writes mv, made from the module directory dir, to the proxy at dst and
// returns the number of files in its zip.
func writeProxyModule(dst string, mv module.Version, dir, now string) (int, error) {
	if err := module.Check(mv.Path, mv.Version); err != nil {
		return 0, err
	}
	escPath, err := module.EscapePath(mv.Path)
	if err != nil {
		return 0, err
	}
	escVersion, err := module.EscapeVersion(mv.Version)
	if err != nil {
		return 0, err
	}
	vdir := filepath.Join(dst, filepath.FromSlash(escPath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return 0, err
	}
	base := filepath.Join(vdir, escVersion)

	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(base+".mod", gomod, 0o644); err != nil {
		return 0, err
	}
	info, err := json.Marshal(struct{ Version, Time string }{mv.Version, now})
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(base+".info", info, 0o644); err != nil {
		return 0, err
	}
	if err := writeZip(base+".zip", mv, dir); err != nil {
		return 0, err
	}
	// Read the zip back with the same rules the go command applies when it downloads one.
	cf, err := zip.CheckZip(mv, base+".zip")
	if err != nil {
		return 0, err
	}
	list := filepath.Join(vdir, "list")
	old, err := os.ReadFile(list)
	if err != nil && !os.IsNotExist(err) {
		return 0, err
	}
	if !bytes.Contains(append([]byte("\n"), old...), []byte("\n"+mv.Version+"\n")) {
		if err := os.WriteFile(list, append(old, mv.Version+"\n"...), 0o644); err != nil {
			return 0, err
		}
	}
	return len(cf.Valid), nil
}

func writeZip(name string, mv module.Version, dir string) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return zip.CreateFromDir(f, mv, dir)
}

// stage copies the files a release would carry into dir, keeping their relative paths.
func (r *Repo) stage(dir string) error {
	files, err := r.releaseFiles()
	if err != nil {
		return err
	}
	for _, rel := range files {
		src := filepath.Join(r.Root, filepath.FromSlash(rel))
		fi, err := os.Lstat(src)
		if os.IsNotExist(err) {
			continue // tracked but deleted in the working tree
		}
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			continue // module zips hold regular files only
		}
		if err := copyFile(filepath.Join(dir, filepath.FromSlash(rel)), src, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// releaseFiles lists the slash-separated paths, relative to the root, of the files a tag
// would carry: git's tracked and untracked files minus the ignored ones.
func (r *Repo) releaseFiles() ([]string, error) {
	if _, err := os.Stat(filepath.Join(r.Root, ".git")); err == nil {
		cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
		cmd.Dir = r.Root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("git ls-files: %v: %s", err, stderr.Bytes())
		}
		var files []string
		for _, f := range strings.Split(string(out), "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
		return files, nil
	}
	var files []string
	err := filepath.WalkDir(r.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(r.Root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	return files, err
}

func copyFile(dst, src string, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
