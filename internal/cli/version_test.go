package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func stamped(modified string) *debug.BuildInfo {
	return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mouseauth/mouseauth",
		Version: "v0.3.0"}, Settings: []debug.BuildSetting{
		{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "7462739f0e1d2c3b4a5968778695a4b3c2d1e0f9"},
		{Key: "vcs.time", Value: "2026-11-30T13:28:00Z"}, {Key: "vcs.modified", Value: modified}}}
}

func TestBuildFromStampedInfo(t *testing.T) {
	t.Parallel()
	b := BuildFrom(stamped("true"))
	want := Build{Module: "github.com/mouseauth/mouseauth", Version: "v0.3.0", Commit: "7462739f0e1d2c3b4a5968778695a4b3c2d1e0f9",
		Dirty: true, Time: "2026-11-30T13:28:00Z", Go: "go1.26.8", OSArch: "linux/arm64"}
	if b != want {
		t.Fatalf("BuildFrom = %+v\nwant %+v", b, want)
	}
	text := b.Text()
	for _, w := range []string{"mouseauth v0.3.0\n", "module:  github.com/mouseauth/mouseauth\n",
		"commit:  7462739f0e1d2c3b4a5968778695a4b3c2d1e0f9 (dirty", "time:    2026-11-30T13:28:00Z\n", "go:      go1.26.8 linux/arm64\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("Text lacks %q:\n%s", w, text)
		}
	}
	if got := b.Short(); got != "v0.3.0 7462739f0e1d-dirty" {
		t.Errorf("Short = %q", got)
	}
	clean := BuildFrom(stamped("false"))
	if clean.Dirty || strings.Contains(clean.Text(), "dirty") || clean.Short() != "v0.3.0 7462739f0e1d" {
		t.Errorf("a clean build: %+v, %q, %q", clean, clean.Short(), clean.Text())
	}
}

func TestBuildFromPseudoVersion(t *testing.T) {
	t.Parallel()
	bi := stamped("true")
	bi.Main.Version = "v0.0.0-20261130132800-7462739f0e1d+dirty" // go build in a git checkout since Go 1.24
	if got := BuildFrom(bi).Short(); got != bi.Main.Version {
		t.Errorf("Short = %q; the pseudo-version names the commit and dirtiness already", got)
	}
}

func TestBuildWithoutVCSStamp(t *testing.T) {
	t.Parallel()
	// What a test binary has: no vcs settings.
	b := BuildFrom(&debug.BuildInfo{Main: debug.Module{Path: "github.com/mouseauth/mouseauth"}})
	if b.Version != "(devel)" || b.Commit != "" || b.Go != runtime.Version() {
		t.Errorf("%+v", b)
	}
	if !strings.Contains(b.Text(), "commit:  unknown (not stamped") || strings.Contains(b.Text(), "time:") {
		t.Errorf("Text:\n%s", b.Text())
	}
	if b.Short() != "(devel)" {
		t.Errorf("Short = %q", b.Short())
	}
	if n := BuildFrom(nil); n.Version != "(unknown)" || n.Go != runtime.Version() || !strings.Contains(n.Text(), "module:  (unknown)") {
		t.Errorf("nil build info: %+v\n%s", n, n.Text())
	}
	if got := ReadBuild("v9.9.9").Version; got != "v9.9.9" {
		t.Errorf("a link-time version is ignored: %q", got)
	}
	if got := ReadBuild("dev").Version; got == "dev" {
		t.Error(`"dev" replaced the build's version`)
	}
}
