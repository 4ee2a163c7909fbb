package shell

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

func TestJoin(t *testing.T) {
	t.Parallel()
	args := []string{"mouseauth", "replay", "--state", "my state", "--x", "it's $HOME", "", "a*b", "127.0.0.1:9093", "--users=4"}
	line := Join(args)
	if !strings.HasPrefix(line, "mouseauth replay --state 'my state' ") || strings.Contains(line, "'127.0.0.1:9093'") {
		t.Errorf("Join = %s", line)
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

func TestJoinQuotes(t *testing.T) {
	t.Parallel()
	got := Join([]string{"mouseauth", "--out", "my dir", "it's", ""})
	if want := `mouseauth --out 'my dir' 'it'\''s' ''`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
