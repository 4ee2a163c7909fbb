package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the generated tables of docs/cli.md from the command tree")

// flagUse is a flag of one command.
type flagUse struct {
	cmd  *cobra.Command
	flag *pflag.Flag
}

// path is the command's path without "mouseauth", "(root)" for the root.
func (u flagUse) path() string {
	if p := strings.TrimPrefix(u.cmd.CommandPath(), "mouseauth"); p != "" {
		return strings.TrimSpace(p)
	}
	return "(every command)"
}

// treeFlags walks a fresh command tree and returns every flag each
// command defines (its own and, for the root, the persistent ones).
func treeFlags(t *testing.T) (*cobra.Command, []flagUse) {
	t.Helper()
	ios, _, _, _ := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	var out []flagUse
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "help" {
				out = append(out, flagUse{c, f})
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(out) < 300 {
		t.Fatalf("%d flags in the tree: not the whole tree", len(out))
	}
	return root, out
}

// oneMeaning are the flag names that meant two things (or had two types)
// before the vocabulary, each with the only commands that may still show
// it, for the meaning kept; elsewhere they live on as deprecated aliases
// (renamed) or not at all.
var oneMeaning = map[string][]string{
	"dir":              nil, // the PKI folder in pki, the output folder in demo: --pki-dir, --out
	"tls-dir":          nil, // the PKI folder in live, replay, bench: --pki-dir
	"name":             nil, // a certificate in pki: --cert
	"tls-name":         nil, // a certificate in live, replay, bench: --cert
	"kafka":            nil, // a broker in pki check: --brokers
	"bootstrap-server": nil, // a broker in pki config acl: --brokers
	"report":           nil, // an output folder in bench: --out
	"models":           nil, // an output folder in evaluate holdout, beside --model the input: --save-models
	// A user of the data, not a MariaDB account (pki config mariadb --account).
	"user": {"classify train", "live enroll", "live tail", "live unlock"},
	// The lists of evaluate are --windows; the live service's window is
	// the decision policy's (a model records it), not a flag.
	"window": nil,
	// Trees of one forest (int); the swept list is --tree-counts.
	"trees": {"bench classify", "bench evaluate", "bench model-load", "bench pipeline", "bench scaleout", "classify train",
		"evaluate", "evaluate attack", "evaluate compare", "evaluate continuous", "evaluate holdout", "evaluate threshold", "live serve", "replay"},
	// One rate (float); bench pipeline's list is --rates.
	"rate": {"bench scaleout"},
	// The first synthetic session's date; scaleout's instances are --instances.
	"start": {"dataset synth"},
}

// TestFlagVocabulary holds the command tree to the vocabulary: every flag
// is in it with its type (one type per name), the names that had two
// meanings keep one, every deprecated name is an alias of a flag of the
// same command listed in renamed, values and paths complete, and
// docs/cli.md lists it all (-update rewrites its tables).
func TestFlagVocabulary(t *testing.T) {
	t.Parallel()
	_, uses := treeFlags(t)
	byName := map[string][]flagUse{}
	used := map[string]bool{}
	for _, u := range uses {
		f, where := u.flag, u.cmd.CommandPath()
		if f.Deprecated != "" {
			target := cli.AliasOf(f)
			if target == "" || u.cmd.LocalFlags().Lookup(target) == nil {
				t.Errorf("%s --%s is deprecated but no alias of a flag of the command", where, f.Name)
			}
			if _, ok := renamed[f.Name]; !ok {
				t.Errorf("%s --%s: a deprecated name missing from renamed", where, f.Name)
			}
			if !f.Hidden {
				t.Errorf("%s --%s: deprecated but shown", where, f.Name)
			}
			continue
		}
		byName[f.Name] = append(byName[f.Name], u)
		used[f.Name] = true
		w, ok := vocabulary[f.Name]
		if !ok {
			t.Errorf("%s --%s (%s) is not in the vocabulary: add it with its meaning (vocabulary.go), or use the name the vocabulary has for its idea",
				where, f.Name, f.Value.Type())
			continue
		}
		if f.Value.Type() != w.Type {
			t.Errorf("%s --%s is %s; the vocabulary says %s: one name, one type", where, f.Name, f.Value.Type(), w.Type)
		}
		_, hasFunc := u.cmd.GetFlagCompletionFunc(f.Name)
		_, file := f.Annotations[cobra.BashCompFilenameExt]
		_, dir := f.Annotations[cobra.BashCompSubdirsInDir]
		switch {
		case (w.Values != nil || w.Complete != nil) && !hasFunc:
			t.Errorf("%s --%s: its values do not complete", where, f.Name)
		case w.Path != "" && !file && !dir:
			t.Errorf("%s --%s: a path that does not complete as one", where, f.Name)
		}
	}
	for name := range vocabulary {
		if !used[name] {
			t.Errorf("--%s is in the vocabulary but no command has it", name)
		}
	}
	for name, allowed := range oneMeaning {
		for _, u := range byName[name] {
			if !slices.Contains(allowed, u.path()) {
				t.Errorf("%s --%s: this name meant two things; here it stands for %s (see renamed)", u.cmd.CommandPath(), name, renamed[name])
			}
		}
	}
	for old := range renamed {
		if _, ok := oneMeaning[old]; !ok {
			t.Errorf("renamed --%s: say in oneMeaning where the name may still be used", old)
		}
	}

	doc := filepath.Join(moduleRoot(t), "docs", "cli.md")
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, g := range []struct{ name, body string }{{"flags", flagsTable(byName)}, {"renamed", renamedTable(uses)}} {
		begin := fmt.Sprintf("<!-- BEGIN GENERATED %s: go test ./cmd/mouseauth -run TestFlagVocabulary -update -->\n", g.name)
		end := fmt.Sprintf("<!-- END GENERATED %s -->", g.name)
		i, j := strings.Index(text, begin), strings.Index(text, end)
		if i < 0 || j < i {
			t.Fatalf("%s lacks the markers %q ... %q", doc, begin, end)
		}
		if have := text[i+len(begin) : j]; have != g.body {
			if !*update {
				t.Errorf("%s: the %s table is not the command tree's (a flag missing, or another type, meaning or command); "+
					"run go test ./cmd/mouseauth -run TestFlagVocabulary -update\n%s", doc, g.name, firstDiff(have, g.body))
			}
			text = text[:i+len(begin)] + g.body + text[j:]
		}
	}
	if *update {
		if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// flagsTable is the vocabulary as docs/cli.md shows it: one row per flag,
// its type, meaning and the commands that have it.
func flagsTable(byName map[string][]flagUse) string {
	var b strings.Builder
	b.WriteString("| flag | type | meaning | commands |\n|---|---|---|---|\n")
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f := byName[n][0].flag
		name := "`--" + n + "`"
		if f.Shorthand != "" {
			name = "`-" + f.Shorthand + "`, " + name
		}
		var cmds []string
		for _, u := range byName[n] {
			cmds = append(cmds, u.path())
		}
		sort.Strings(cmds)
		cmds = slices.Compact(cmds)
		where := strings.Join(cmds, ", ")
		if len(cmds) > 6 {
			where = fmt.Sprintf("%d commands: %s", len(cmds), where)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, vocabulary[n].Type, strings.ReplaceAll(vocabulary[n].Meaning, "|", `\|`), where)
	}
	return b.String()
}

// renamedTable lists the deprecated names: old, new, the commands.
func renamedTable(uses []flagUse) string {
	type key struct{ old, new string }
	where := map[key][]string{}
	for _, u := range uses {
		if u.flag.Deprecated != "" {
			k := key{u.flag.Name, cli.AliasOf(u.flag)}
			where[k] = append(where[k], u.path())
		}
	}
	keys := make([]key, 0, len(where))
	for k := range where {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].old < keys[j].old || keys[i].old == keys[j].old && keys[i].new < keys[j].new
	})
	var b strings.Builder
	b.WriteString("| old name (hidden, warns) | new name | commands |\n|---|---|---|\n")
	for _, k := range keys {
		cmds := where[k]
		sort.Strings(cmds)
		fmt.Fprintf(&b, "| `--%s` | `--%s` | %s |\n", k.old, k.new, strings.Join(cmds, ", "))
	}
	return b.String()
}

// firstDiff shows the first line where have and want differ.
func firstDiff(have, want string) string {
	h, w := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := 0; i < max(len(h), len(w)); i++ {
		var a, b string
		if i < len(h) {
			a = h[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d of the table:\n  docs: %s\n  tree: %s", i+1, a, b)
		}
	}
	return ""
}

// TestDeprecatedNamesStillWork: a script written with the old names runs
// as before, with a warning on stderr and nothing extra on stdout.
func TestDeprecatedNamesStillWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string // in the warnings
		file string // the command wrote it
	}{
		{[]string{"pki", "init", "--dir", filepath.Join(dir, "pki"), "-o", "json"}, "Flag --dir has been deprecated, use --pki-dir instead", filepath.Join(dir, "pki", "ca.crt")},
		{[]string{"pki", "issue", "replay", "--dir", filepath.Join(dir, "pki"), "--role", "client", "-o", "json"}, "use --pki-dir instead", filepath.Join(dir, "pki", "issued", "replay.crt")},
		{[]string{"pki", "config", "cassandra", "--dir", filepath.Join(dir, "pki"), "--name", "replay"}, "Flag --name has been deprecated, use --cert instead", ""},
	} {
		ios, _, out, errOut := cli.TestIO()
		root := newCmdRoot(&cli.Factory{IO: ios, Version: "test"})
		root.SetArgs(tc.args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%q: %v\n%s", tc.args, err, errOut)
		}
		if !strings.Contains(errOut.String(), tc.want) || strings.Contains(out.String(), "deprecated") {
			t.Errorf("%q: stderr %q, stdout %q", tc.args, errOut, out)
		}
		if tc.file != "" {
			if _, err := os.Stat(tc.file); err != nil {
				t.Errorf("%q: %v", tc.args, err)
			}
		}
	}
	// The old names reach the options of the new ones.
	ios, _, _, errOut := cli.TestIO()
	var got *EvaluateOptions
	cmd := newCmdEvaluate(&cli.Factory{IO: ios}, func(_ context.Context, o *EvaluateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"sweep", "--features", "f.csv", "--trees", "10,20", "--window", "1,5", "--classifier", "rf"})
	cli.WarnOn(cmd, errOut)
	if err := cmd.Execute(); err != nil || !slices.Equal(got.TreeRange, []int{10, 20}) || !slices.Equal(got.Windows, []int{1, 5}) {
		t.Fatalf("sweep --trees --window: %v, %+v", err, got)
	}
	cmd = newCmdEvaluate(&cli.Factory{IO: ios}, func(_ context.Context, o *EvaluateOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"sweep", "--features", "f.csv", "--trees", "10", "--classifier", "logreg"})
	cmd.SetOut(errOut)
	cmd.SetErr(errOut)
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--tree-counts: classifier logreg has no trees to sweep") {
		t.Errorf("the old --trees on a sweep of logreg: %v", err)
	}
	var replayed *ReplayOptions
	rcmd := newCmdReplay(&cli.Factory{IO: ios}, func(_ context.Context, o *ReplayOptions) error { replayed = o; return nil })
	rcmd.SetArgs([]string{"--users", "1:3", "--tls-dir", "p", "--tls-name", "c", "--brokers", "b:1"})
	rcmd.SetOut(errOut)
	rcmd.SetErr(errOut)
	if err := rcmd.Execute(); err != nil || !slices.Equal(replayed.Users, []int{1, 2, 3}) || replayed.Deploy.TLSDir != "p" || replayed.Deploy.TLSName != "c" {
		t.Fatalf("replay with the old names: %v %+v", err, replayed)
	}
	if !strings.Contains(errOut.String(), "--users 1:3: a list of user counts is --user-counts 1:3 now") {
		t.Errorf("no warning for --users 1:3: %q", errOut)
	}
}

// noOutputFlag are the commands without -o, and why: they print no
// results on stdout, or a format of their own.
var noOutputFlag = map[string]string{
	"live serve":            "a service: it logs on stderr until stopped",
	"live enroll":           "prints one status line on stderr, no results",
	"live unlock":           "prints one status line on stderr, no results",
	"live tail":             "prints JSON lines, one per record, for jq",
	"pki config kafka":      "prints server.properties lines",
	"pki config mariadb":    "prints my.cnf options and SQL",
	"pki config cassandra":  "prints cassandra.yaml options",
	"pki config acl":        "prints kafka-acls.sh commands",
	"completion bash":       "prints a completion script",
	"completion fish":       "prints a completion script",
	"completion zsh":        "prints a completion script",
	"completion powershell": "prints a completion script",
	"help":                  "prints help",
}

// TestEveryCommandHasOutput: every command that prints results takes
// -o/--output table|csv|json.
func TestEveryCommandHasOutput(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	root.InitDefaultCompletionCmd()
	root.InitDefaultHelpCmd()
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.HasSubCommands() {
			return
		}
		path := flagUse{cmd: c}.path()
		_, exempt := noOutputFlag[path]
		f := c.Flags().Lookup("output")
		switch {
		case f == nil && !exempt:
			t.Errorf("mouseauth %s prints results without -o/--output (or say why in noOutputFlag)", path)
		case f != nil && exempt:
			t.Errorf("mouseauth %s has -o but is listed in noOutputFlag", path)
		case f != nil && f.Shorthand != "o":
			t.Errorf("mouseauth %s --output has no -o", path)
		}
		n++
	}
	walk(root)
	if n < 35 {
		t.Errorf("checked %d commands", n)
	}
}

// TestTrainPresetNames: every command that trains live models takes the
// presets by the names evaluate uses (improved, published; reference with
// a warning) and hands classify the name it knows the training by.
func TestTrainPresetNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		preset, want string
		warns        bool
	}{
		{"", classify.PresetImproved, false},
		{"improved", classify.PresetImproved, false},
		{"published", classify.PresetReference, false},
		{"reference", classify.PresetReference, true},
	} {
		var args []string
		if tc.preset != "" {
			args = append(args, "--preset", tc.preset)
		}
		ios, _, _, errOut := cli.TestIO()
		var served *ServeOptions
		scmd := newCmdLiveServe(&cli.Factory{IO: ios}, func(_ context.Context, o *ServeOptions) error { served = o; return nil })
		scmd.SetArgs(args)
		scmd.SetOut(errOut)
		scmd.SetErr(errOut)
		if err := scmd.Execute(); err != nil || served.Preset != tc.want {
			t.Fatalf("live serve --preset %q: %v, %+v, want preset %q", tc.preset, err, served, tc.want)
		}
		var replayed *ReplayOptions
		rcmd := newCmdReplay(&cli.Factory{IO: ios}, func(_ context.Context, o *ReplayOptions) error { replayed = o; return nil })
		rcmd.SetArgs(args)
		rcmd.SetOut(errOut)
		rcmd.SetErr(errOut)
		if err := rcmd.Execute(); err != nil || replayed.Preset != tc.want {
			t.Fatalf("replay --preset %q: %v, %+v, want preset %q", tc.preset, err, replayed, tc.want)
		}
		if warned := strings.Contains(errOut.String(), `preset "reference" is now called "published"`); warned != tc.warns {
			t.Errorf("--preset %q: warning %v, want %v: %q", tc.preset, warned, tc.warns, errOut)
		}
	}
}
