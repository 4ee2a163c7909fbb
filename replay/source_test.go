package replay

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestSourceLoad(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	us, err := Source{Users: 3, Sessions: 2, Actions: 20, Seed: 4}.Load(ctx, nil)
	if err != nil || !slices.Equal(Names(us), []string{"User1", "User2", "User3"}) || len(us[0].Sessions) != 2 {
		t.Fatalf("synthetic: %v, %d users", err, len(us))
	}
	if _, err := (Source{Users: 1, Sessions: 2, Actions: 20}).Load(ctx, nil); err == nil || !strings.Contains(err.Error(), "at least 2 users") {
		t.Errorf("one user: %v", err)
	}

	// Raw logs: two users on disk, three asked for; a file that cannot be
	// read is reported and skipped.
	dir := t.TempDir()
	for _, u := range []string{"User1", "User2"} {
		if err := os.MkdirAll(filepath.Join(dir, u), 0o755); err != nil {
			t.Fatal(err)
		}
		rows := "client timestamp,button,state,x,y\n"
		for i := range 50 {
			rows += strings.Join([]string{strconv.Itoa(i * 20), "NoButton", "Move", strconv.Itoa(100 + i*5), strconv.Itoa(200 + i*3)}, ",") + "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, u, "2026_01_05__09_00_00.CSV"), []byte(rows), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var problems []error
	report := func(err error) { problems = append(problems, err) }
	if _, err := (Source{Data: dir, Users: 3}).Load(ctx, report); err == nil || !strings.Contains(err.Error(), dir+" has 2 users; 3 asked for") {
		t.Errorf("too few users in %s: %v", dir, err)
	}
	us, err = Source{Data: dir, Users: 2}.Load(ctx, report)
	if err != nil || !slices.Equal(Names(us), []string{"User1", "User2"}) {
		t.Errorf("two users of %s: %v, %v", dir, Names(us), err)
	}
}
