package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/preprocess"
)

func TestNewCmdPreprocessFeatures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		want    FeaturesOptions
		wantErr string
	}{
		{name: "defaults", args: "--data d --out f.csv",
			want: FeaturesOptions{Data: "d", Out: "f.csv", Compat: preprocess.Clean, Output: "table"}},
		{name: "all flags", args: "--data d --out - --compat reference --max-actions 1000 --strict --workers 3 -o json",
			want: FeaturesOptions{Data: "d", Out: "-", Compat: preprocess.Reference, MaxActions: 1000, Strict: true, Workers: 3, Output: "json"}},
		{name: "no data", args: "--out f.csv", wantErr: `required flag(s) "data" not set`},
		{name: "no out", args: "--data d", wantErr: `required flag(s) "out" not set`},
		{name: "bad compat", args: "--data d --out f --compat python", wantErr: `--compat must be clean or reference, not "python"`},
		{name: "negative max", args: "--data d --out f --max-actions -1", wantErr: "--max-actions must be >= 0"},
		{name: "bad output", args: "--data d --out f -o xml", wantErr: "--output must be table, csv or json"},
		{name: "bad int", args: "--data d --out f --max-actions many", wantErr: "invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *FeaturesOptions
			cmd := newCmdPreprocessFeatures(&cli.Factory{IO: ios}, func(_ context.Context, o *FeaturesOptions) error {
				got = o
				return nil
			})
			err := execArgs(ios, cmd, tt.args)
			if tt.wantErr != "" {
				wantUsageError(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("run function not called")
			}
			g := *got
			if g.IO == nil || g.Create == nil {
				t.Error("IO or Create not set")
			}
			if g.Data != tt.want.Data || g.Out != tt.want.Out || g.Compat != tt.want.Compat || g.MaxActions != tt.want.MaxActions ||
				g.Strict != tt.want.Strict || g.Workers != tt.want.Workers || g.Output != tt.want.Output {
				t.Errorf("options %+v,\nwant %+v", g, tt.want)
			}
		})
	}
}

// sessionsDir lays out preprocess/testdata logs as Balabit user folders and
// adds a session with a malformed row.
func sessionsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"user1/session_1": "click.csv", "user1/session_2": "drag.csv",
		"user2/session_3": "pause.csv", "user2/session_4": "straight.csv",
	}
	for dst, src := range files {
		b, err := os.ReadFile(filepath.Join("..", "..", "preprocess", "testdata", src))
		if err != nil {
			t.Fatal(err)
		}
		if dst == "user2/session_4" {
			b = append(b, []byte("0.6,0.6,NoButton,Move,abc,100\n0.7,0.7,NoButton,Move,170,100\n")...)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestPreprocessFeaturesRun(t *testing.T) {
	t.Parallel()
	dir := sessionsDir(t)
	run := func(t *testing.T, opts FeaturesOptions) (csv string, out, errOut string, err error) {
		ios, _, o, e := cli.TestIO()
		var file bytes.Buffer
		opts.IO = ios
		opts.Create = func(name string) (io.WriteCloser, error) {
			if name != "f.csv" {
				t.Errorf("created %q", name)
			}
			return nopCloser{&file}, nil
		}
		err = featuresRun(context.Background(), &opts)
		return file.String(), o.String(), e.String(), err
	}

	t.Run("all sessions", func(t *testing.T) {
		csv, out, errOut, err := run(t, FeaturesOptions{Data: dir, Out: "f.csv", Output: "json", Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		tab, err := preprocess.ReadTable(strings.NewReader(csv), "f.csv")
		if err != nil {
			t.Fatal(err)
		}
		// user1: click (PC), drag (MM, DD); user2: pause (MM, MM), straight
		// plus one good row after the malformed one (MM of 7 points).
		var got []string
		for i, x := range tab.X {
			got = append(got, tab.Users[i]+"/"+tab.Sessions[i]+"/"+preprocess.ActionKind(x[0]).String())
		}
		want := "user1/session_1/PC user1/session_2/MM user1/session_2/DD user2/session_3/MM user2/session_3/MM user2/session_4/MM"
		if strings.Join(got, " ") != want {
			t.Errorf("rows %v,\nwant %s", got, want)
		}
		if n := tab.X[len(tab.X)-1][5]; n != 7 {
			t.Errorf("last action has %v points, want 7 (the malformed row skipped)", n)
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("summary %q: %v", out, err)
		}
		sum, tot := doc["users"], doc["total"]
		if len(sum) != 2 || sum[1]["user"] != "user2" || sum[1]["malformed"] != 1.0 || sum[0]["DD"] != 1.0 ||
			len(tot) != 1 || tot[0]["actions"] != 6.0 || tot[0]["users"] != 2.0 {
			t.Errorf("summary %v, total %v", sum, tot)
		}
		if !strings.Contains(errOut, "session_4") || !strings.Contains(errOut, "abc") {
			t.Errorf("stderr does not report the malformed row (file, value): %q", errOut)
		}
	})
	t.Run("max actions", func(t *testing.T) {
		csv, out, _, err := run(t, FeaturesOptions{Data: dir, Out: "f.csv", Output: "csv", MaxActions: 2})
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(csv, "\n"); n != 1+4 {
			t.Errorf("%d lines, want header and 2 actions per user:\n%s", n, csv)
		}
		// user1 and user2 have 3 actions each: one not kept. CSV is the
		// users alone, no total row.
		if !strings.Contains(out, "user1,2,0,") || strings.Contains(out, "total") || !strings.HasSuffix(strings.TrimSpace(out), ",2,1") {
			t.Errorf("summary:\n%s", out)
		}
	})
	t.Run("reference", func(t *testing.T) {
		csv, _, _, err := run(t, FeaturesOptions{Data: dir, Out: "f.csv", Output: "csv", Compat: preprocess.Reference})
		if err != nil {
			t.Fatal(err)
		}
		// Reference mode skips trailing chunks: user2's logs of moves alone
		// give nothing; user1's click and drag remain.
		tab, err := preprocess.ReadTable(strings.NewReader(csv), "f.csv")
		if err != nil {
			t.Fatal(err)
		}
		if len(tab.X) != 3 || tab.X[0][0] != float64(preprocess.PC) || tab.X[1][0] != float64(preprocess.MM) || tab.X[2][0] != float64(preprocess.DD) ||
			tab.Users[2] != "user1" || tab.Actions[2] != 1 {
			t.Errorf("%d vectors %+v, want user1's PC, MM, DD", len(tab.X), tab)
		}
	})
	t.Run("strict", func(t *testing.T) {
		_, _, _, err := run(t, FeaturesOptions{Data: dir, Out: "f.csv", Output: "table", Strict: true})
		if err == nil || !strings.Contains(err.Error(), "session_4") {
			t.Errorf("strict: error %v, want the malformed row of session_4", err)
		}
	})
	t.Run("missing data", func(t *testing.T) {
		_, _, _, err := run(t, FeaturesOptions{Data: filepath.Join(dir, "nope"), Out: "f.csv", Output: "table"})
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Errorf("error %v, want one naming the missing path", err)
		}
	})
}

func TestPreprocessCompareRun(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "extracts the features of the Balabit logs")
	data := testutil.Data(t, "balabit/training_files")
	pub := testutil.Data(t, "features/balabit_39feat_PC_MM_DD_100.csv")
	if testing.Short() {
		t.Skip("reads the Balabit logs")
	}
	ios, _, out, _ := cli.TestIO()
	opts := &CompareOptions{IO: ios, Data: data, Published: pub, Compat: preprocess.Reference, MaxActions: 100,
		OpenFile: func(n string) (io.ReadCloser, error) { return os.Open(n) }}
	if err := compareRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"user12", "user9", "Total", "Columns that differ"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// TestComparisonSections: compare's result as sections, so -o json and
// csv carry the same figures as the table.
func TestComparisonSections(t *testing.T) {
	t.Parallel()
	c := &preprocess.Comparison{Total: 10, Matched: 6, Aligned: 8, SameActionDiffers: 2,
		Users: []preprocess.UserMatch{{User: "u1", Published: 4, Ours: 5, Matched: 4, Aligned: 4}, {User: "u2", Published: 6, Ours: 6, Matched: 2, Aligned: 4}}}
	c.ColumnMismatch[3], c.ColumnMismatch[7] = 1, 2
	var b strings.Builder
	if err := cli.RenderSections(&b, cli.FormatJSON, comparisonSections(c)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Users []struct {
			User                string
			Published, Computed int
			Positional, Aligned int
			PositionalPct       float64 `json:"positional_pct"`
			AlignedPct          float64 `json:"aligned_pct"`
		}
		Total []struct {
			Users, Computed int
			PositionalPct   float64 `json:"positional_pct"`
			AlignedPct      float64 `json:"aligned_pct"`
		}
		Columns []struct {
			Column        string
			RowsDiffering int `json:"rows_differing"`
		}
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	// The total is a section of its own, never a row among the users.
	if len(got.Users) != 2 || got.Users[1].PositionalPct != 100.0/3 || len(got.Total) != 1 || got.Total[0].Users != 2 || got.Total[0].Computed != 11 ||
		got.Total[0].PositionalPct != 60 || got.Total[0].AlignedPct != 80 {
		t.Errorf("users %+v, total %+v", got.Users, got.Total)
	}
	if len(got.Columns) != 2 || got.Columns[0].Column != preprocess.FeatureNames[7] || got.Columns[0].RowsDiffering != 2 {
		t.Errorf("columns %+v", got.Columns)
	}
}
