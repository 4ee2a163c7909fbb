package main

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// testBuild is a stamped build; the test binary's own build information
// has no VCS stamp.
var testBuild = cli.BuildFrom(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/mouseauth/mouseauth",
	Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
	{Key: "vcs.time", Value: "2026-11-30T13:28:00Z"}, {Key: "vcs.modified", Value: "true"}}})

func runRoot(t *testing.T, b cli.Build, args ...string) (out, errOut string, code int) {
	t.Helper()
	ios, _, o, e := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Build: b, Version: b.Short()})
	root.SetArgs(args)
	code = cli.ExitCode(root.Execute())
	return o.String(), e.String(), code
}

func TestVersionCommandAndFlag(t *testing.T) {
	t.Parallel()
	out, _, code := runRoot(t, testBuild, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, w := range []string{"mouseauth (devel)", "github.com/mouseauth/mouseauth", "0123456789abcdef0123456789abcdef01234567 (dirty",
		"2026-11-30T13:28:00Z", "go1.26.8"} {
		if !strings.Contains(out, w) {
			t.Errorf("version lacks %q:\n%s", w, out)
		}
	}
	flag, _, code := runRoot(t, testBuild, "--version")
	if code != 0 || flag != out {
		t.Errorf("--version (exit %d) prints\n%s\nnot what version prints:\n%s", code, flag, out)
	}
	js, _, code := runRoot(t, testBuild, "version", "-o", "json")
	var got cli.Build
	if err := json.Unmarshal([]byte(js), &got); err != nil || code != 0 || got != testBuild {
		t.Errorf("version -o json (exit %d): %v\n%s", code, err, js)
	}
	csv, _, _ := runRoot(t, testBuild, "version", "-o", "csv")
	if !strings.HasPrefix(csv, "module,version,commit,dirty,time,go,os_arch\n") || !strings.Contains(csv, ",true,") {
		t.Errorf("version -o csv:\n%s", csv)
	}
	if _, _, code := runRoot(t, testBuild, "version", "-o", "yaml"); code != cli.ExitUsage {
		t.Errorf("version -o yaml: exit %d, want usage error", code)
	}
}

func TestShortVIsNotVersion(t *testing.T) {
	t.Parallel()
	out, _, code := runRoot(t, testBuild, "-v")
	if code != cli.ExitUsage || strings.Contains(out, "0123456789abcdef") {
		t.Errorf("-v: exit %d, output %q; want a usage error", code, out)
	}
	// Nowhere in the tree is -v a shorthand.
	ios, _, _, _ := cli.TestIO()
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		n++
		if f := c.Flags().ShorthandLookup("v"); f != nil {
			t.Errorf("%s: -v is --%s", c.CommandPath(), f.Name)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newCmdRoot(&cli.Factory{IO: ios, Build: testBuild}))
	if n < 20 {
		t.Errorf("walked %d commands", n)
	}
}

func TestVersionOfAnUnstampedBinary(t *testing.T) {
	t.Parallel()
	// The test binary itself: no commit, and the output says why.
	out, _, code := runRoot(t, cli.Build{}, "version")
	if code != 0 || !strings.Contains(out, "commit:  unknown (not stamped") || !strings.Contains(out, "go:      go1.") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}
