package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/pki"
)

// complete runs cobra's hidden __complete command, as the shell scripts
// do, and returns the candidates (descriptions cut) and the directive.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	ios, _, out, errOut := cli.TestIO()
	root := NewCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	root.SetArgs(append([]string{"__complete"}, args...))
	if err := root.Execute(); err != nil {
		t.Fatalf("__complete %q: %v\n%s", args, err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		got = append(got, v)
	}
	return got, lines[len(lines)-1]
}

// TestCompletion: flag values complete from what the commands accept,
// paths as files of the right kind or folders; deprecated names do not
// show.
func TestCompletion(t *testing.T) {
	const (
		noFiles  = ":4"  // ShellCompDirectiveNoFileComp
		list     = ":6"  // NoFileComp | NoSpace: a list goes on
		fileExt  = ":8"  // ShellCompDirectiveFilterFileExt
		dirsOnly = ":16" // ShellCompDirectiveFilterDirs
	)
	pkiDir := t.TempDir()
	now := time.Now()
	if _, err := pki.CreateCA(pkiDir, pki.CAOptions{Subject: pki.Subject{CommonName: "ca"}, Now: now}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"scorer", "replay"} {
		if _, err := pki.IssueInDir(pkiDir, pki.IssueRequest{Name: n, Role: pki.RoleClient, Validity: time.Hour, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args      []string
		want      []string
		directive string
	}{
		{[]string{"evaluate", "--classifier", ""}, classify.Names(), noFiles},
		{[]string{"classify", "train", "--classifier", "l"}, []string{"logreg"}, noFiles},
		{[]string{"evaluate", "compare", "--classifiers", "rf,l"}, []string{"rf,logreg"}, list},
		{[]string{"evaluate", "--preset", ""}, []string{"improved", "published"}, noFiles},
		{[]string{"evaluate", "compare", "--presets", "published,"}, []string{"published,improved", "published,both"}, list},
		{[]string{"evaluate", "threshold", "--protocol", ""}, []string{"reference", "strict"}, noFiles},
		{[]string{"classify", "score", "--aggregate", ""}, []string{"mean", "median", "trimmed", "logodds"}, noFiles},
		{[]string{"version", "-o", ""}, []string{"table", "csv", "json"}, noFiles},
		{[]string{"dataset", "synth", "--output", "j"}, []string{"json"}, noFiles},
		{[]string{"preprocess", "features", "--compat", ""}, []string{"clean", "reference"}, noFiles},
		{[]string{"live", "serve", "--profiles", ""}, []string{"embedded", "mysql", "cassandra"}, noFiles},
		{[]string{"replay", "--sasl-mechanism", ""}, []string{"SCRAM-SHA-512", "SCRAM-SHA-256"}, noFiles},
		{[]string{"live", "serve", "--log-level", ""}, []string{"debug", "info", "warn", "error"}, noFiles},
		{[]string{"live", "tail", "--topic", "alerts,d"}, []string{"alerts,decisions", "alerts,deadletter"}, list},
		{[]string{"pki", "issue", "x", "--role", ""}, []string{"server", "client", "both"}, noFiles},
		{[]string{"classify", "train", "--classifier", "logreg", "--param", ""}, paramNames(t, "logreg"), list},
		{[]string{"pki", "check", "--pki-dir", pkiDir, "--cert", ""}, []string{"replay", "scorer"}, noFiles},
		{[]string{"live", "serve", "--pki-dir", pkiDir, "--cert", "s"}, []string{"scorer"}, noFiles},
		{[]string{"evaluate", "--features", ""}, []string{"csv"}, fileExt},
		{[]string{"classify", "score", "--model", ""}, []string{"model"}, fileExt},
		{[]string{"live", "serve", "--state", ""}, nil, dirsOnly},
		{[]string{"report", "--run", ""}, nil, dirsOnly},
	} {
		got, directive := complete(t, tc.args...)
		if !slices.Equal(got, tc.want) || directive != tc.directive {
			t.Errorf("mouseauth %s<TAB>: %q %s, want %q %s", strings.Join(tc.args, " "), got, directive, tc.want, tc.directive)
		}
	}
	// Flag names: the new ones, never the deprecated.
	got, _ := complete(t, "live", "serve", "--")
	if !slices.Contains(got, "--pki-dir") || !slices.Contains(got, "--cert") || slices.Contains(got, "--tls-dir") || slices.Contains(got, "--tls-name") {
		t.Errorf("live serve --<TAB>: %q", got)
	}
}

func paramNames(t *testing.T, classifier string) []string {
	specs, err := classify.Params(classifier)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range specs {
		out = append(out, s.Name+"=")
	}
	return out
}

// TestCompletionScripts: 'mouseauth completion SHELL' prints the script
// each shell loads.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "__start_mouseauth", "zsh": "#compdef mouseauth", "fish": "complete -c mouseauth", "powershell": "Register-ArgumentCompleter"} {
		ios, _, out, _ := cli.TestIO()
		root := NewCmdRoot(&cli.Factory{IO: ios, Version: "test"})
		root.SetArgs([]string{"completion", shell})
		if err := root.Execute(); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("completion %s: %v, %s", shell, err, fmt.Sprintf("%.200q", out.String()))
		}
	}
}
