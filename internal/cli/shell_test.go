package cli

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestShellJoin(t *testing.T) {
	args := []string{"mouseauth", "replay", "--state", "my state", "--x", "it's $HOME", "", "a*b", "127.0.0.1:9093", "--users=4"}
	line := ShellJoin(args)
	if !strings.HasPrefix(line, "mouseauth replay --state 'my state' ") || strings.Contains(line, "'127.0.0.1:9093'") {
		t.Errorf("ShellJoin = %s", line)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to read the line back")
	}
	// The shell reads the line back into the same words.
	got, err := exec.Command(sh, "-c", `set -- `+line+`; for a in "$@"; do printf '%s\0' "$a"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(strings.TrimSuffix(string(got), "\x00"), "\x00")
	if !slices.Equal(words, args) {
		t.Errorf("sh read %q back as %q", line, words)
	}
}
