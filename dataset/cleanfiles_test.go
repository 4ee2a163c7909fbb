package dataset

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func createInDir(path string) (io.WriteCloser, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return os.Create(path)
}

// TestCleanFilesBadData cleans a folder holding every kind of bad input:
// the bad files are reported in their results, the rest is cleaned into the
// same layout, and every row is kept or counted once.
func TestCleanFilesBadData(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	var warn bytes.Buffer
	var calls [][2]int
	res, err := CleanFiles(context.Background(), "testdata/bad", out, CleanFilesOptions{MaxIssues: 20, Create: createInDir,
		Warn: &warn, Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil {
		t.Fatal(err)
	}
	// User1 (bad rows) and User3 (header only) are cleaned; User2 (empty)
	// and User4 (binary) are skipped; User5 (empty folder) is a warning.
	var cleaned, skipped []string
	for _, r := range res {
		if r.Skipped != nil {
			skipped = append(skipped, r.Session.User+": "+r.Skipped.Error())
			continue
		}
		cleaned = append(cleaned, r.Session.User)
		if r.Kept+dropped(r.Drops) != r.Rows {
			t.Errorf("%s: %d kept + %d dropped != %d rows", r.Session.User, r.Kept, dropped(r.Drops), r.Rows)
		}
	}
	if strings.Join(cleaned, " ") != "User1 User3" || len(skipped) != 2 || !strings.Contains(skipped[0], "empty file") ||
		!strings.Contains(skipped[1], "does not look like a mouse log") {
		t.Errorf("cleaned %v, skipped %v", cleaned, skipped)
	}
	u1 := res[0]
	if u1.Rows != 8 || u1.Kept != 2 || u1.Drops[DropMalformed] != 5 || u1.Drops[DropUnknownButtonState] != 1 || len(u1.Issues) != 6 {
		t.Errorf("User1: %+v", u1)
	}
	if !strings.Contains(warn.String(), "User5") {
		t.Errorf("no warning for the empty folder: %q", warn.String())
	}
	if len(calls) != len(res)+1 || calls[0] != [2]int{0, len(res)} || calls[len(res)] != [2]int{len(res), len(res)} {
		t.Errorf("progress calls %v", calls)
	}
	b, err := os.ReadFile(filepath.Join(out, "User1", "2026_01_01__09_00_00.CSV"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "client timestamp,button,state,x,y\n0,NoButton,Move,1,2\n96,NoButton,Move,6,7\n"; string(b) != want {
		t.Errorf("cleaned log = %q, want %q", b, want)
	}

	// One user folder or one file keep the layout below the data set.
	for _, data := range []string{"testdata/bad/User1", "testdata/bad/User1/2026_01_01__09_00_00.CSV"} {
		out := t.TempDir()
		if _, err := CleanFiles(context.Background(), data, out, CleanFilesOptions{Create: createInDir}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(out, "User1", "2026_01_01__09_00_00.CSV")); err != nil {
			t.Errorf("--data %s: %v", data, err)
		}
	}

	// Strict: the first malformed row is an error naming file, line, field.
	_, err = CleanFiles(context.Background(), "testdata/bad/User1", t.TempDir(), CleanFilesOptions{Strict: true, Create: createInDir})
	if err == nil || !strings.Contains(err.Error(), "2026_01_01__09_00_00.CSV:3") {
		t.Errorf("strict: %v", err)
	}
	if _, err := CleanFiles(context.Background(), "testdata/nope", t.TempDir(), CleanFilesOptions{Create: createInDir}); err == nil ||
		!strings.Contains(err.Error(), "testdata/nope") {
		t.Errorf("missing data: %v", err)
	}
}
