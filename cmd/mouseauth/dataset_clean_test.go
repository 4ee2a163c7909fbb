package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/cli"
)

func TestNewCmdDatasetClean(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    string
		wantErr string
		check   func(*CleanOptions) bool
	}{
		{"ok", "--data d --out o", "", func(o *CleanOptions) bool { return o.Data == "d" && o.Out == "o" && o.Output == "table" }},
		{"screen", "--data d --out o --screen 1920x1080 --strict -o json", "", func(o *CleanOptions) bool {
			return o.Screen.ScreenW == 1920 && o.Screen.ScreenH == 1080 && o.Strict && o.Output == "json"
		}},
		{"missing out", "--data d", "--data and --out are required", nil},
		{"bad screen", "--data d --out o --screen big", "--screen must be", nil},
		{"bad output", "--data d --out o -o xml", "--output must be", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *CleanOptions
			cmd := newCmdDatasetCleanF(&cli.Factory{IO: ios}, func(_ context.Context, o *CleanOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tc.args)
			if tc.wantErr != "" {
				wantUsageError(t, err, tc.wantErr)
				return
			}
			if err != nil || got == nil || !tc.check(got) {
				t.Fatalf("err = %v, opts = %+v", err, got)
			}
		})
	}
}

// TestCleanRunBadData cleans a folder holding every kind of bad input: the
// bad files are reported, the rest is cleaned, and rows are accounted for.
func TestCleanRunBadData(t *testing.T) {
	ios, _, out, errOut := cli.TestIO()
	dir := t.TempDir()
	opts := &CleanOptions{IO: ios, Create: createInDir, Data: "../../dataset/testdata/bad", Out: dir, Output: "json", MaxListed: 20}
	if err := cleanRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	// User1 (bad rows) and User3 (header only) are cleaned; User2 (empty)
	// and User4 (binary) are skipped; User5 (empty folder) is a warning.
	// The total is a section of its own, never a row among the sessions.
	rows := doc["sessions"]
	if len(rows) != 2 {
		t.Fatalf("rows = %v", rows)
	}
	for _, r := range rows {
		if r["user"] == "TOTAL" {
			t.Errorf("a total among the sessions: %v", r)
		}
	}
	if tot := doc["total"]; len(tot) != 1 || tot[0]["sessions"] != 2.0 || tot[0]["skipped_files"] != 2.0 || tot[0]["malformed"] != rows[0]["malformed"].(float64)+rows[1]["malformed"].(float64) {
		t.Errorf("total = %v", doc["total"])
	}
	u1 := rows[0]
	if u1["user"] != "User1" || u1["rows"] != 8.0 || u1["kept"] != 2.0 || u1["malformed"] != 5.0 || u1["unknown_button_state"] != 1.0 {
		t.Errorf("User1 = %v", u1)
	}
	stderr := errOut.String()
	for _, want := range []string{"User5", "User2", "empty file", "User4", "does not look like a mouse log",
		"User1/2026_01_01__09_00_00.CSV:4: field x \"abc\""} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "User1", "2026_01_01__09_00_00.CSV"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "client timestamp,button,state,x,y\n0,NoButton,Move,1,2\n96,NoButton,Move,6,7\n"; string(b) != want {
		t.Errorf("cleaned log = %q, want %q", b, want)
	}

	// Strict: the first malformed row is an error naming file, line, field.
	opts.Strict, opts.Data = true, "../../dataset/testdata/bad/User1"
	err = cleanRun(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "2026_01_01__09_00_00.CSV:3") {
		t.Errorf("strict: %v", err)
	}
}
