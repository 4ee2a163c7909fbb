//go:build unix

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/internal/testutil"
)

// The README's examples test: every shell example of README.md runs as
// written, in order, on a fresh copy of the repository, with `mouseauth`
// the binary built from this tree. Conventions of the README's ```sh
// blocks:
//
//   - one example a line (a line ending in \ continues on the next); lines
//     starting with # are comments;
//   - an example whose comment says "long:" (and why) is not run: the test
//     skips it with that reason;
//   - an example whose comment says "terminal 1" runs in the background,
//     as in a terminal of its own, and the next examples start once it has
//     printed the first "quoted text" of that comment; at the end of its
//     block it gets Ctrl-C (SIGINT) and must exit with 0 or 130;
//   - an example that needs a program the machine lacks (jq) is skipped,
//     or fails with MOUSEAUTH_REQUIRE_ALL=1.
//
// Afterwards nothing the examples wrote may show in `git status`: all of it
// is in .gitignore, and no tracked file changed. The examples run in a
// newcomer's environment (no MOUSEAUTH_ variable) but for
// MOUSEAUTH_LISTEN=127.0.0.1:0: `live serve` takes a free port for
// /metrics, not the default 9464 another process may hold.

// exampleBudget bounds one example: a hang guard, far above what any
// example not marked long takes on a loaded 2-core machine.
const exampleBudget = 4 * time.Minute

// readyBudget bounds the wait for a terminal 1 example to be ready.
const readyBudget = 2 * time.Minute

// example is one command of the README.
type example struct {
	Line    int    // in README.md, of its first line
	Block   int    // the ```sh block it is in, from 0
	Command string // as written, continuation lines joined
	Long    string // why it is not run, when marked "long:"
	Ready   string // for a "terminal 1" example: what it prints when ready
	Term1   bool
}

func (e example) name() string {
	c := e.Command
	if len(c) > 60 {
		c = c[:60]
	}
	return fmt.Sprintf("line%d %s", e.Line, c)
}

// shellComment returns the comment of a shell line: the text after the
// first # that starts a word outside quotes, and whether there is one.
func shellComment(line string) (string, bool) {
	var quote rune
	prev := ' '
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (prev == ' ' || prev == '\t'):
			return line[i+1:], true
		}
		prev = r
	}
	return "", false
}

var quoted = regexp.MustCompile(`"([^"]+)"`)

// parseExamples reads the examples of the ```sh (or bash, shell) blocks of
// a README.
func parseExamples(text string) ([]example, error) {
	var out []example
	in, block := false, -1
	var cur *example
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if cur != nil {
				return nil, fmt.Errorf("README.md:%d: a continued example ends with its block", cur.Line)
			}
			if in {
				in = false
			} else if lang := strings.TrimPrefix(trimmed, "```"); lang == "sh" || lang == "bash" || lang == "shell" {
				in = true
				block++
			}
			continue
		}
		if !in {
			continue
		}
		if cur == nil {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			cur = &example{Line: n, Block: block}
		} else {
			cur.Command += " "
		}
		if c, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.Command += strings.TrimSpace(c)
			continue
		}
		cur.Command += trimmed
		if c, ok := shellComment(cur.Command); ok {
			if i := strings.Index(c, "long:"); i >= 0 {
				why := c[i+len("long:"):]
				if i > 0 && c[i-1] == '(' {
					why, _, _ = strings.Cut(why, ")") // (long: why)
				}
				cur.Long = strings.TrimSpace(why)
				if cur.Long == "" {
					return nil, fmt.Errorf("README.md:%d: say why after long:", cur.Line)
				}
			}
			if strings.Contains(c, "terminal 1") {
				cur.Term1 = true
				m := quoted.FindStringSubmatch(c)
				if m == nil {
					return nil, fmt.Errorf(`README.md:%d: a terminal 1 example must say, in double quotes, what it prints when ready`, cur.Line)
				}
				cur.Ready = m[1]
			}
		}
		out = append(out, *cur)
		cur = nil
	}
	return out, sc.Err()
}

// programs returns the programs a command line runs: the first word of
// the line and of each part after | & ; ( outside quotes (the words after
// a closing parenthesis continue the command before it), after variable
// assignments; shell builtins are left out.
func programs(command string) []string {
	if c, ok := shellComment(command); ok {
		command = strings.TrimSuffix(command, "#"+c)
	}
	builtins := []string{"cd", "umask", "export", "set", "exit", "true", "false", "echo", "printf", "test", "[", "kill", "wait", "read", "source", "."}
	var out []string
	expect := true // the next word names a program
	var word strings.Builder
	var quote rune
	endWord := func() {
		w := word.String()
		word.Reset()
		switch {
		case w == "" || !expect:
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "-"): // VAR=value
		default:
			if !slices.Contains(builtins, w) && !slices.Contains(out, w) {
				out = append(out, w)
			}
			expect = false
		}
	}
	for _, r := range command {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote = r
			word.WriteRune(r)
		case r == ' ' || r == '\t':
			endWord()
		case strings.ContainsRune("|&;(", r):
			if r == '(' && strings.HasSuffix(word.String(), "$") {
				w := strings.TrimSuffix(word.String(), "$")
				word.Reset()
				word.WriteString(w)
			}
			endWord()
			expect = true
		case r == ')':
			endWord()
			expect = false
		default:
			word.WriteRune(r)
		}
	}
	endWord()
	return out
}

func TestParseExamples(t *testing.T) {
	t.Parallel()
	text := "text\n```sh\n# a comment\nmouseauth a --x 1    # one\n\nmouseauth b \\\n  --y 2\n```\n" +
		"```\nnot run\n```\n```sh\nmouseauth serve   # terminal 1: wait until it prints \"serving\"\n" +
		"mouseauth big --all | jq '.a # not a comment'   # saturation (long: minutes)\n```\n"
	got, err := parseExamples(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []example{
		{Line: 4, Block: 0, Command: "mouseauth a --x 1    # one"},
		{Line: 6, Block: 0, Command: "mouseauth b --y 2"},
		{Line: 13, Block: 1, Command: `mouseauth serve   # terminal 1: wait until it prints "serving"`, Term1: true, Ready: "serving"},
		{Line: 14, Block: 1, Command: `mouseauth big --all | jq '.a # not a comment'   # saturation (long: minutes)`, Long: "minutes"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"```sh\nx   # terminal 1 without a quote\n```\n", "```sh\nx   # long:\n```\n", "```sh\nx \\\n```\n"} {
		if _, err := parseExamples(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	for cmd, want := range map[string][]string{
		`mouseauth live tail | jq -c 'select(.kind == "alert") | {user}'`: {"mouseauth", "jq"},
		`(umask 077; head -c 18 /dev/urandom | base64 > pw.txt)  # x | y`: {"head", "base64"},
		`A=1 mouseauth replay --brokers 127.0.0.1:$(cat f) --no-service`:  {"mouseauth", "cat"},
	} {
		if got := programs(cmd); !slices.Equal(got, want) {
			t.Errorf("programs(%q) = %q, want %q", cmd, got, want)
		}
	}
}

// moduleRoot is the directory of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// mustRun runs a program in dir and returns its output.
func mustRun(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freshCopy copies the files a clone would have (tracked and not
// ignored, as they are in the working tree) from root to dst, and makes
// dst a git repository with them committed.
func freshCopy(t *testing.T, root, dst string) {
	t.Helper()
	list := mustRun(t, root, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	n := 0
	for _, f := range strings.Split(list, "\x00") {
		if f == "" {
			continue
		}
		src := filepath.Join(root, f)
		fi, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dst, f)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(out, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n < 50 {
		t.Fatalf("copied %d files: %s is not the repository", n, root)
	}
	mustRun(t, dst, "git", "init", "-q")
	mustRun(t, dst, "git", "add", "-A")
	mustRun(t, dst, "git", "-c", "user.name=readme", "-c", "user.email=readme@mouseauth.invalid", "-c", "commit.gpgsign=false",
		"commit", "-q", "-m", "fresh copy")
}

// lookPath finds name in the directories of path.
func lookPath(name, path string) bool {
	if strings.Contains(name, "/") {
		return true // ./scripts/x, /bin/x: the example's own business
	}
	for _, dir := range filepath.SplitList(path) {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}

// tailFile returns the last n lines of a log file.
func tailFile(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// startShell starts command in its own process group in dir, its output in log.
func startShell(ctx context.Context, dir string, env []string, command, log string) (*exec.Cmd, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", command)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Start()
	f.Close()
	return cmd, err
}

// background is a running terminal 1 example.
type background struct {
	ex      example
	cmd     *exec.Cmd
	log     string
	done    chan error // Wait's result, put back by whoever takes it
	stopped bool
}

// TestREADMEExamples runs the README's examples (see the top of this
// file). It takes a few minutes; -short skips it.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("-short: the README's examples take minutes")
	}
	for _, p := range []string{"git", "bash", "go"} {
		if _, err := exec.LookPath(p); err != nil {
			testutil.SkipOrFail(t, p+" is not installed: the README test needs it")
		}
	}
	root := moduleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples, err := parseExamples(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) < 10 {
		t.Fatalf("%d examples in README.md", len(examples))
	}
	if _, err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Output(); err != nil {
		testutil.SkipOrFail(t, root+" is not a git checkout: the README test copies what a clone has")
	}

	tmp := t.TempDir()
	repo := filepath.Join(tmp, "repo")
	freshCopy(t, root, repo)
	// ../shared beside the copy is the shared data beside the repository.
	shared, haveShared := filepath.Join(root, "..", "shared"), true
	if _, err := os.Stat(filepath.Join(shared, "data")); err != nil {
		haveShared = false
	} else if abs, err := filepath.Abs(shared); err != nil || os.Symlink(abs, filepath.Join(tmp, "shared")) != nil {
		t.Fatalf("link ../shared: %v", err)
	}
	bin, logs, tmpdir := filepath.Join(tmp, "bin"), filepath.Join(tmp, "logs"), filepath.Join(tmp, "tmp")
	for _, d := range []string{bin, logs, tmpdir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now()
	build := exec.Command("go", "build", "-buildvcs=false", "-o", filepath.Join(bin, "mouseauth"), "./cmd/mouseauth")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/mouseauth: %v\n%s", err, out)
	}
	t.Logf("built mouseauth in %.1f s", time.Since(t0).Seconds())

	// The environment of a newcomer: no mouseauth settings, mouseauth on
	// the PATH, temporary files inside the test's folder.
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MOUSEAUTH_") && !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	// The one setting: /metrics on a free port, so that the README's
	// `live serve` runs where another service holds the default 9464.
	env = append(env, "PATH="+path, "TMPDIR="+tmpdir, envListen+"=127.0.0.1:0")

	var bgs []*background
	t.Cleanup(func() {
		for _, b := range bgs {
			_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
			<-b.done
		}
	})
	stopBlock := func(block int) {
		for _, b := range bgs {
			if b.ex.Block != block || b.stopped {
				continue
			}
			b.stopped = true
			t.Run("stop "+b.ex.name(), func(t *testing.T) {
				_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGINT)
				select {
				case err := <-b.done:
					b.done <- err // for the cleanup
					var ee *exec.ExitError
					if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 130) {
						t.Errorf("README.md:%d: %s\nexited with %v after Ctrl-C (want 0 or 130); its output:\n%s", b.ex.Line, b.ex.Command, err, tailFile(b.log, 40))
					}
				case <-time.After(time.Minute):
					t.Errorf("README.md:%d: %s\ndid not stop within a minute of Ctrl-C; its output:\n%s", b.ex.Line, b.ex.Command, tailFile(b.log, 40))
				}
			})
		}
	}

	var ran, skipped int
	var elapsed time.Duration
	for i, ex := range examples {
		if i > 0 && examples[i-1].Block != ex.Block {
			stopBlock(examples[i-1].Block)
		}
		t.Run(ex.name(), func(t *testing.T) {
			if ex.Long != "" {
				skipped++
				t.Skipf("README.md:%d is marked long (%s): not run by the README test", ex.Line, ex.Long)
			}
			if !haveShared && strings.Contains(ex.Command, "../shared") {
				skipped++
				testutil.SkipOrFail(t, fmt.Sprintf("README.md:%d needs ../shared/data, which is not beside the repository", ex.Line))
			}
			for _, p := range programs(ex.Command) {
				if !lookPath(p, path) {
					skipped++
					testutil.SkipOrFail(t, fmt.Sprintf("README.md:%d needs %s, which is not installed (scripts/test.sh installs it)", ex.Line, p))
				}
			}
			log := filepath.Join(logs, fmt.Sprintf("%03d.log", i))
			start := time.Now()
			if ex.Term1 {
				cmd, err := startShell(context.Background(), repo, env, ex.Command, log)
				if err != nil {
					t.Fatal(err)
				}
				b := &background{ex: ex, cmd: cmd, log: log, done: make(chan error, 1)}
				bgs = append(bgs, b)
				go func() { b.done <- cmd.Wait() }()
				testutil.EventuallyProgress(t, readyBudget, func() (bool, int64) {
					select {
					case err := <-b.done:
						b.done <- err
						t.Fatalf("README.md:%d: %s\nended (%v) before it printed %q; its output:\n%s", ex.Line, ex.Command, err, ex.Ready, tailFile(log, 40))
					default:
					}
					out, _ := os.ReadFile(log)
					return strings.Contains(string(out), ex.Ready), int64(len(out))
				}, fmt.Sprintf("README.md:%d: waiting for %q", ex.Line, ex.Ready))
				ran++
				t.Logf("README.md:%d: ready in %.1f s, running in the background", ex.Line, time.Since(start).Seconds())
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), exampleBudget)
			defer cancel()
			cmd, err := startShell(ctx, repo, env, ex.Command, log)
			if err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			d := time.Since(start)
			ran++
			elapsed += d
			switch {
			case ctx.Err() != nil:
				t.Errorf("README.md:%d: %s\ndid not finish within %v; its output:\n%s\n(fix the example, or mark it '# long: why')",
					ex.Line, ex.Command, exampleBudget, tailFile(log, 40))
			case err != nil:
				t.Errorf("README.md:%d: %s\nfailed after %.1f s: %v; its output:\n%s\n(fix the example, or the command it documents)",
					ex.Line, ex.Command, d.Seconds(), err, tailFile(log, 40))
			default:
				t.Logf("README.md:%d: exit 0 in %.1f s", ex.Line, d.Seconds())
			}
		})
	}
	if len(examples) > 0 {
		stopBlock(examples[len(examples)-1].Block)
	}
	t.Logf("%d examples run in %.0f s (background ones not counted in the time), %d skipped", ran, elapsed.Seconds(), skipped)

	// Everything the examples wrote is ignored, and no tracked file changed.
	if st := mustRun(t, repo, "git", "status", "--porcelain", "--untracked-files=all"); st != "" {
		var paths []string
		for _, l := range strings.Split(strings.TrimRight(st, "\n"), "\n") {
			paths = append(paths, l)
			if len(paths) == 30 {
				paths = append(paths, "...")
				break
			}
		}
		t.Errorf("after the README's examples, git status shows (add what they write to .gitignore; they must not change tracked files):\n%s",
			strings.Join(paths, "\n"))
	}
}

// TestGitignoreKeepsTrackedFiles: no tracked file (testdata above all)
// matches a .gitignore pattern.
func TestGitignoreKeepsTrackedFiles(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	if _, err := exec.Command("git", "-C", root, "rev-parse", "--git-dir").Output(); err != nil {
		testutil.SkipOrFail(t, root+" is not a git checkout")
	}
	if out := mustRun(t, root, "git", "ls-files", "--cached", "--ignored", "--exclude-standard"); out != "" {
		t.Errorf(".gitignore matches tracked files:\n%s", out)
	}
	// And it does ignore what the commands write by default.
	for _, p := range []string{"mouseauth-state/mouseauth.db", "runs/x/run.json", "models/User1.model", "bench-out/a.svg",
		"cleaned/User1/a.CSV", "features.csv", "pw.txt", "demo-out/report.html", "mouseauth"} {
		if err := exec.Command("git", "-C", root, "check-ignore", "-q", "--no-index", p).Run(); err != nil {
			t.Errorf("%s is not ignored", p)
		}
	}
}
