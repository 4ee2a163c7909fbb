package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Build describes the running binary: what `mouseauth version` prints and
// what reports record. It comes from the build information the Go
// toolchain embeds ([debug.ReadBuildInfo]): the main module's version, the
// VCS stamp of `go build` in a git checkout (commit, time, modified
// files), and the Go version.
type Build struct {
	Module  string `json:"module"`  // the main module path
	Version string `json:"version"` // the module version, "(devel)" for an untagged build
	Commit  string `json:"commit"`  // the VCS revision; empty when not stamped
	Dirty   bool   `json:"dirty"`   // the working tree had uncommitted changes
	Time    string `json:"time"`    // the commit time (RFC 3339); empty when not stamped
	Go      string `json:"go"`      // the Go version that built it
	OSArch  string `json:"os_arch"` // GOOS/GOARCH
}

// ReadBuild returns the running binary's [Build]. override, when not
// empty and not "dev", replaces the module version (a release build's
// -ldflags "-X main.version=v1.2.3").
func ReadBuild(override string) Build {
	bi, _ := debug.ReadBuildInfo()
	b := BuildFrom(bi)
	if override != "" && override != "dev" {
		b.Version = override
	}
	return b
}

// BuildFrom reads a [Build] from bi, which may be nil (a binary built
// without module support): then only the Go version is known.
func BuildFrom(bi *debug.BuildInfo) Build {
	b := Build{Go: runtime.Version(), OSArch: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		b.Version = "(unknown)"
		return b
	}
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	b.Module, b.Version = bi.Main.Path, bi.Main.Version
	if b.Version == "" {
		b.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		case "GOOS":
			b.OSArch = s.Value + b.OSArch[strings.IndexByte(b.OSArch, '/'):]
		case "GOARCH":
			b.OSArch = b.OSArch[:strings.IndexByte(b.OSArch, '/')+1] + s.Value
		}
	}
	return b
}

// Short is one word for reports and manifests: the module version, with
// the short commit and "-dirty" when the version does not already say
// them (a pseudo-version names its commit; "+dirty" marks it modified).
func (b Build) Short() string {
	v := b.Version
	if b.Commit == "" {
		return v
	}
	c := b.Commit[:min(12, len(b.Commit))]
	if !strings.Contains(v, c) {
		v += " " + c
	}
	if b.Dirty && !strings.Contains(v, "dirty") {
		v += "-dirty"
	}
	return v
}

// Text is the output of `mouseauth version` for people: one field a line.
func (b Build) Text() string {
	var s strings.Builder
	module := b.Module
	if module == "" {
		module = "(unknown)"
	}
	fmt.Fprintf(&s, "mouseauth %s\n", b.Version)
	fmt.Fprintf(&s, "module:  %s\n", module)
	switch {
	case b.Commit == "":
		s.WriteString("commit:  unknown (not stamped: go run, go test, -buildvcs=false, or a git worktree, whose .git is a file)\n")
	case b.Dirty:
		fmt.Fprintf(&s, "commit:  %s (dirty: built with uncommitted changes)\n", b.Commit)
	default:
		fmt.Fprintf(&s, "commit:  %s\n", b.Commit)
	}
	if b.Time != "" {
		fmt.Fprintf(&s, "time:    %s\n", b.Time)
	}
	fmt.Fprintf(&s, "go:      %s %s\n", b.Go, b.OSArch)
	return s.String()
}

// Table is b as a one-row table, for --output csv and json.
func (b Build) Table() *Table {
	t := &Table{Columns: []string{"module", "version", "commit", "dirty", "time", "go", "os_arch"}}
	t.Add(b.Module, b.Version, b.Commit, b.Dirty, b.Time, b.Go, b.OSArch)
	return t
}
