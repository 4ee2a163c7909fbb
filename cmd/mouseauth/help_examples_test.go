package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mouseauth/mouseauth/internal/cli"
)

// helpExample is one mouseauth command line of a command's Example.
type helpExample struct {
	cmd  string // the command whose help shows it
	line string
	args []string // after "mouseauth"
}

// exampleCommands returns the mouseauth command lines of an Example: lines
// joined where they end in \, comments dropped, each part of a pipeline or
// list (| ; &&) whose program is mouseauth, after VAR=value words. Words
// are split as a shell would, quotes removed; $(...) stays one word.
func exampleCommands(example string) [][]string {
	var out [][]string
	var line strings.Builder
	for _, l := range strings.Split(example, "\n") {
		l = strings.TrimSpace(l)
		if c, ok := strings.CutSuffix(l, `\`); ok {
			line.WriteString(c + " ")
			continue
		}
		line.WriteString(l)
		full := line.String()
		line.Reset()
		if c, ok := shellComment(full); ok {
			full = strings.TrimSuffix(full, "#"+c)
		}
		for _, words := range shellSegments(full) {
			for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
				words = words[1:]
			}
			if len(words) > 0 && words[0] == "mouseauth" {
				out = append(out, withoutRedirections(words[1:]))
			}
		}
	}
	return out
}

// withoutRedirections drops 2>/dev/null, > file and the like.
func withoutRedirections(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := strings.TrimLeft(words[i], "0123456789&")
		if strings.HasPrefix(w, ">") || strings.HasPrefix(w, "<") {
			if w == ">" || w == ">>" || w == "<" {
				i++ // the file is the next word
			}
			continue
		}
		out = append(out, words[i])
	}
	return out
}

// shellSegments splits a command line into the words of each simple
// command (separated by | ; & outside quotes and $(...)).
func shellSegments(s string) [][]string {
	var segs [][]string
	var words []string
	var w strings.Builder
	inWord, depth := false, 0
	var quote rune
	end := func() {
		if inWord {
			words = append(words, w.String())
		}
		w.Reset()
		inWord = false
	}
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case depth > 0:
			w.WriteRune(r)
			if r == '(' {
				depth++
			} else if r == ')' {
				depth--
			}
		case r == '(' && strings.HasSuffix(w.String(), "$"):
			w.WriteRune(r)
			depth++
		case r == ' ' || r == '\t':
			end()
		case r == '&' && strings.HasSuffix(w.String(), ">"): // 2>&1
			w.WriteRune(r)
		case r == '|' || r == ';' || r == '&':
			end()
			if len(words) > 0 {
				segs = append(segs, words)
			}
			words = nil
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	end()
	if len(words) > 0 {
		segs = append(segs, words)
	}
	return segs
}

func TestExampleCommands(t *testing.T) {
	got := exampleCommands(`  # a comment
  MOUSEAUTH_X='a b' mouseauth pki check --cert s --brokers k:1   # why
  printf '%s\n' "$PW" | mouseauth live enroll --user "User 2" \
      --model m.model
  mouseauth replay --brokers 127.0.0.1:$(cat s/kafka.port) && jq . x | mouseauth version -o json 2>/dev/null > v.json
  mouseauth demo 2>&1 | tail -3
  openssl req -new`)
	want := [][]string{{"pki", "check", "--cert", "s", "--brokers", "k:1"}, {"live", "enroll", "--user", "User 2", "--model", "m.model"},
		{"replay", "--brokers", "127.0.0.1:$(cat s/kafka.port)"}, {"version", "-o", "json"}, {"demo"}}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("%d: %q, want %q", i, got[i], want[i])
		}
	}
}

// helpExamples returns every mouseauth command line of every Example.
func helpExamples(root *cobra.Command) []helpExample {
	var out []helpExample
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, args := range exampleCommands(c.Example) {
			out = append(out, helpExample{cmd: c.CommandPath(), line: strings.Join(args, " "), args: args})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

// TestHelpExamples: every example of every --help names a command that
// exists, with flags it has (none deprecated), values of their types and
// the positional arguments it takes. (The README's examples run in
// TestREADMEExamples; the pki group's run in TestPKIHelpExamplesRun.)
func TestHelpExamples(t *testing.T) {
	ios, _, _, _ := cli.TestIO()
	examples := helpExamples(NewCmdRoot(&cli.Factory{IO: ios, Version: "test"}))
	if len(examples) < 60 {
		t.Fatalf("%d help examples: not every command's", len(examples))
	}
	for _, ex := range examples {
		// A fresh tree each time: parsed flags stay set.
		ios, _, _, _ := cli.TestIO()
		root := NewCmdRoot(&cli.Factory{IO: ios, Version: "test"})
		cmd, rest, err := root.Find(ex.args)
		if err != nil || cmd == root && len(ex.args) > 0 && !strings.HasPrefix(ex.args[0], "-") {
			t.Errorf("%s --help: mouseauth %s: no such command (%v)", ex.cmd, ex.line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("%s --help: mouseauth %s: %v", ex.cmd, ex.line, err)
			continue
		}
		if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
			t.Errorf("%s --help: mouseauth %s: %v", ex.cmd, ex.line, err)
		}
		cmd.Flags().Visit(func(f *pflag.Flag) {
			if f.Deprecated != "" {
				t.Errorf("%s --help: mouseauth %s: uses the deprecated --%s (--%s)", ex.cmd, ex.line, f.Name, cli.AliasOf(f))
			}
		})
		if strings.Contains(ex.line, "--pki-dir pki") || strings.Contains(ex.line, "--out pki") {
			t.Errorf("%s --help: mouseauth %s: writes into ./pki, the package's sources when run from the repository", ex.cmd, ex.line)
		}
	}
}

// TestPKIHelpExamplesRun runs the examples of 'mouseauth pki --help' (but
// the check, which needs a broker) in an empty folder, as a newcomer
// would paste them: they make a CA and certificates in mouseauth-pki/ and
// nothing in ./pki, the repository's package folder.
func TestPKIHelpExamplesRun(t *testing.T) {
	t.Chdir(t.TempDir())
	ios, _, _, _ := cli.TestIO()
	root := NewCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	pkiCmd, _, _ := root.Find([]string{"pki"})
	n := 0
	for _, args := range exampleCommands(pkiCmd.Example) {
		if len(args) > 1 && args[1] == "check" {
			continue
		}
		ios, _, _, errOut := cli.TestIO()
		r := NewCmdRoot(&cli.Factory{IO: ios, Version: "test"})
		r.SetArgs(args)
		if err := r.Execute(); err != nil {
			t.Fatalf("mouseauth %s: %v\n%s", strings.Join(args, " "), err, errOut)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("ran %d examples", n)
	}
	for _, want := range []string{"mouseauth-pki/ca.crt", "mouseauth-pki/issued/kafka-1.crt", "mouseauth-pki/issued/replay.key"} {
		if _, err := os.Stat(want); err != nil {
			t.Errorf("the examples did not make %s: %v", want, err)
		}
	}
	if _, err := os.Stat("pki"); err == nil {
		t.Error("the examples wrote into ./pki")
	}
}

// otherTools are flags of other programs that help texts quote
// (kafka-configs.sh --alter --add-config ... --entity-type users).
var otherTools = map[string]bool{"alter": true, "add-config": true, "entity-type": true, "entity-name": true}

var (
	helpFlagRE    = regexp.MustCompile(`(?:^|[\s(\[,'"])--([a-z][a-z0-9-]+)`)
	helpCommandRE = regexp.MustCompile(`mouseauth((?:\s+[a-z][a-z0-9-]*)+)`)
	helpDefaultRE = []*regexp.Regexp{
		regexp.MustCompile(`--([a-z][a-z0-9-]+) \(default ([^)\s,;]+)\)`), // --classifier (default rf)
		regexp.MustCompile(`--([a-z][a-z0-9-]+) ([^\s,;()]+) by default`), // --seed 0 by default
	}
)

// TestHelpTextAgreesWithFlags: every flag a command's help text names
// exists (on the command, a parent whose flags it inherits, or one of its
// subcommands, whose help it may summarise), and every default the text
// states ("--classifier (default rf)", "--seed 0 by default") is the
// flag's default. (`sweep --help` once said rf where the flag took the
// preset's gbdt.)
func TestHelpTextAgreesWithFlags(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := cli.TestIO()
	root := NewCmdRoot(&cli.Factory{IO: ios, Version: "test"})
	// find looks a flag up on c, its parents and its subcommands.
	var find func(c *cobra.Command, name string, down bool) *pflag.Flag
	find = func(c *cobra.Command, name string, down bool) *pflag.Flag {
		if f := c.Flags().Lookup(name); f != nil {
			return f
		}
		if f := c.InheritedFlags().Lookup(name); f != nil {
			return f
		}
		if f := c.Root().Flags().Lookup(name); f != nil {
			return f // --version
		}
		if down {
			for _, sub := range c.Commands() {
				if f := find(sub, name, true); f != nil {
					return f
				}
			}
		}
		return nil
	}
	checked, defaults := 0, 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		text := c.Short + "\n" + c.Long
		// Commands the text names ('mouseauth replay --bundle DIR'): their
		// flags are named too.
		var named []*cobra.Command
		for _, m := range helpCommandRE.FindAllStringSubmatch(text, -1) {
			if other, _, err := c.Root().Find(strings.Fields(m[1])); err == nil && other != c.Root() {
				named = append(named, other)
			}
		}
		elsewhere := func(name string) bool {
			for _, other := range named {
				if find(other, name, false) != nil {
					return true
				}
			}
			return false
		}
		for _, m := range helpFlagRE.FindAllStringSubmatch(text, -1) {
			if name := m[1]; name != "help" && !otherTools[name] && find(c, name, true) == nil && !elsewhere(name) {
				t.Errorf("%s --help names --%s, which it has not", c.CommandPath(), name)
			}
			checked++
		}
		for _, re := range helpDefaultRE {
			for _, m := range re.FindAllStringSubmatch(text, -1) {
				f := c.Flags().Lookup(m[1])
				if f == nil {
					continue // another command's flag, checked above
				}
				defaults++
				if want := strings.Trim(m[2], `'"`); f.DefValue != want {
					t.Errorf("%s --help says --%s defaults to %q; the flag's default is %q", c.CommandPath(), m[1], want, f.DefValue)
				}
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	t.Logf("%d flag names and %d stated defaults checked", checked, defaults)
	if checked < 50 || defaults < 1 {
		t.Errorf("checked %d flag names and %d stated defaults: the patterns find nothing", checked, defaults)
	}
}
