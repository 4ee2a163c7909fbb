package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/dataset"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/reports"
)

// holdoutLayout makes a Balabit-style held-out layout from user folders
// of session files: train/<user>/ gets every session but the last (by
// name), test/<user>/ the user's last session and, as an impostor, the
// last session of the next user (named "<session>_from_<user>"); and a
// labels file. link places a file (a copy or a symlink).
func holdoutLayout(t *testing.T, src string, users []string) (train, test, labels string) {
	t.Helper()
	dir := t.TempDir()
	train, test, labels = filepath.Join(dir, "train"), filepath.Join(dir, "test"), filepath.Join(dir, "labels.csv")
	last := map[string]string{}
	for _, u := range users {
		ents, err := os.ReadDir(filepath.Join(src, u))
		if err != nil {
			testutil.SkipOrFail(t, "data missing: "+err.Error())
		}
		var names []string
		for _, e := range ents {
			if !e.IsDir() {
				names = append(names, e.Name())
			}
		}
		sort.Strings(names)
		if len(names) < 2 {
			t.Fatalf("%s/%s: %d sessions, need 2", src, u, len(names))
		}
		for _, n := range names[:len(names)-1] {
			link(t, filepath.Join(src, u, n), filepath.Join(train, u, n))
		}
		last[u] = names[len(names)-1]
	}
	rows := []string{"filename,is_illegal"}
	for i, u := range users {
		v := users[(i+1)%len(users)]
		link(t, filepath.Join(src, u, last[u]), filepath.Join(test, u, last[u]))
		imp := strings.TrimSuffix(last[v], filepath.Ext(last[v])) + "_from_" + v + filepath.Ext(last[v])
		link(t, filepath.Join(src, v, last[v]), filepath.Join(test, u, imp))
		rows = append(rows, last[u]+",0", imp+",1")
	}
	if err := os.WriteFile(labels, []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return train, test, labels
}

func link(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(abs, to); err != nil {
		t.Fatal(err)
	}
}

// synthLogs writes synthetic DFL-format logs of users × sessions into a
// temporary folder and returns it.
func synthLogs(t *testing.T, users, sessions, actions int) string {
	t.Helper()
	dir := t.TempDir()
	create := func(user, session string) (io.WriteCloser, error) {
		p := filepath.Join(dir, user, session+".CSV")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		return os.Create(p)
	}
	if _, err := dataset.Synthesize(context.Background(), dataset.SynthOptions{Users: users, Sessions: sessions, Actions: actions, Seed: 3}, create, func() {}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func holdoutOpts(t *testing.T, train, test, labels string) (*EvaluateOptions, *cli.Buffer) {
	t.Helper()
	f, out, _ := testFactory()
	o := newEvaluateOptions(f, modeHoldout)
	o.Train, o.Test, o.Labels = train, test, labels
	o.Classifier, o.Trees, o.NegRatio, o.Aggregate, o.Compat, o.Output = "rf", 15, 1, "mean", "clean", "json"
	return o, out
}

func testIO() *cli.IOStreams {
	ios, _, _, _ := cli.TestIO()
	return ios
}

func TestEvaluateHoldoutSynth(t *testing.T) {
	logs := synthLogs(t, 4, 3, 60)
	users := []string{"User1", "User2", "User3", "User4"}
	train, test, labels := holdoutLayout(t, logs, users)

	t.Run("labels, report and models", func(t *testing.T) {
		o, out := holdoutOpts(t, train, test, labels)
		o.Out, o.Models, o.Compat = t.TempDir(), filepath.Join(t.TempDir(), "models"), "reference"
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
			t.Fatalf("not a JSON object of arrays: %v\n%s", err, out.String())
		}
		// One row per held-out evaluation, every figure with its interval.
		if len(doc["summary"]) != 1 {
			t.Fatalf("summary %v", doc["summary"])
		}
		figs := doc["summary"][0]
		if figs["genuine_sessions"] != 4.0 || figs["impostor_sessions"] != 4.0 || figs["users_with_auc"] != 4.0 || figs["users"] != 4.0 {
			t.Errorf("summary %v", figs)
		}
		auc, ok := figs["session_auc"].(float64)
		if lo, hi := figs["session_auc_lo"], figs["session_auc_hi"]; !ok || auc < 0.6 || auc > 1 || lo == nil || hi == nil {
			t.Errorf("session AUC %v [%v, %v]: the synthetic users should be told apart", figs["session_auc"], lo, hi)
		}
		if len(doc["users"]) != 4 || len(doc["sessions"]) != 8 {
			t.Errorf("%d users, %d sessions", len(doc["users"]), len(doc["sessions"]))
		}
		run, err := reports.ReadRun(filepath.Join(o.Out, reports.RunFile))
		if err != nil {
			t.Fatal(err)
		}
		h := run.Holdouts[0]
		if h.Sessions.AUC != auc || h.Convention != "reference" || len(h.Sessions.ROC.FPR) == 0 || len(run.Manifest.Inputs) != 3 {
			t.Errorf("run.json holdout %+v, inputs %v", h.Sessions, run.Manifest.Inputs)
		}
		if _, err := reports.Write(context.Background(), t.TempDir(), run, reports.Options{}); err != nil {
			t.Fatalf("report: %v", err)
		}
		// The saved models load and say how their features were made.
		ms, err := evaluate.LoadModels(o.Models)
		if err != nil {
			t.Fatal(err)
		}
		m := ms.ByUser["User2"]
		if len(ms.ByUser) != 4 || m == nil || m.Header.Convention != "reference" || m.Header.Extractor != evaluate.ExtractorName ||
			len(m.Header.FeatureNames) != 39 || m.Header.Params["trees"] != "15" {
			t.Errorf("models %d, header %+v", len(ms.ByUser), m)
		}
	})

	t.Run("seeds", func(t *testing.T) {
		o, out := holdoutOpts(t, train, test, labels)
		o.Seeds = []int64{0, 1, 2}
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
			t.Fatal(err)
		}
		if len(doc["per_seed"]) != 3 || len(doc["per_seed_users"]) != 3*4 || len(doc["summary"]) != 1 || doc["summary"][0]["seeds"] != 3.0 {
			t.Errorf("seeds output: %v", doc)
		}
	})

	t.Run("feature files", func(t *testing.T) {
		// The same sets as feature CSVs score the same.
		dir := t.TempDir()
		for _, p := range []struct{ from, to string }{{train, "train.csv"}, {test, "test.csv"}} {
			fo := &FeaturesOptions{IO: testIO(), Create: createFile, Data: p.from, Out: filepath.Join(dir, p.to), Output: "table"}
			if err := featuresRun(context.Background(), fo); err != nil {
				t.Fatal(err)
			}
		}
		raw, rawOut := holdoutOpts(t, train, test, labels)
		fromCSV, csvOut := holdoutOpts(t, filepath.Join(dir, "train.csv"), filepath.Join(dir, "test.csv"), labels)
		raw.Output, fromCSV.Output = "csv", "csv"
		for _, o := range []*EvaluateOptions{raw, fromCSV} {
			if err := evaluateRun(context.Background(), o); err != nil {
				t.Fatal(err)
			}
		}
		// The same figures; only the train and test columns (paths) differ.
		strip := func(s string) string {
			recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, r := range recs {
				b.WriteString(strings.Join(append(r[:3:3], r[5:]...), ",") + "\n")
			}
			return b.String()
		}
		if a, b := strip(rawOut.String()), strip(csvOut.String()); a != b || !strings.HasPrefix(rawOut.String(), "classifier,aggregate,negative_ratio,train,test,") {
			t.Errorf("raw logs and their feature files score differently:\n%s\n%s", rawOut.String(), csvOut.String())
		}
	})

	t.Run("cross without labels", func(t *testing.T) {
		o, out := holdoutOpts(t, train, test, "")
		o.Cross = true
		if err := evaluateRun(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `"impostor_sessions"`) {
			t.Errorf("output %s", out.String())
		}
	})
}

func TestEvaluateHoldoutBadInput(t *testing.T) {
	logs := synthLogs(t, 3, 2, 30)
	train, test, labels := holdoutLayout(t, logs, []string{"User1", "User2", "User3"})
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lb, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	unknown := write("unknown.csv", string(lb)+"session_nope,1\n")
	badValue := write("bad.csv", "filename,is_illegal\nx,maybe\n")
	// A feature CSV whose column is renamed, and one without sessions.
	fo := &FeaturesOptions{IO: testIO(), Create: createFile, Data: test, Out: filepath.Join(dir, "test.csv"), Output: "table"}
	if err := featuresRun(context.Background(), fo); err != nil {
		t.Fatal(err)
	}
	tb, err := os.ReadFile(fo.Out)
	if err != nil {
		t.Fatal(err)
	}
	header, rest, _ := strings.Cut(string(tb), "\n")
	renamed := write("renamed.csv", strings.Replace(header, "straightness", "straightnes", 1)+"\n"+rest)
	for _, tt := range []struct {
		name, train, test, labels string
		cross                     bool
		want                      string
	}{
		{"unknown session", train, test, unknown, false, `unknown.csv line 8 column 1 (filename): session "session_nope" is not in the test set`},
		{"bad label", train, test, badValue, false, `bad.csv line 2 column 2 (is_illegal): "maybe" is not 0 or 1`},
		{"single class", train, test, "", false, "6 genuine and 0 impostor sessions: the AUC is undefined"},
		{"renamed column", train, renamed, labels, false, `renamed.csv does not have the training set's features (` + train + `): no column "straightness"`},
		{"published file without sessions", train, "../../../shared/data/features/dfl_39feat_PC_MM_DD_50.csv", "", true, "has no session column"},
		{"missing train", filepath.Join(dir, "nope"), test, labels, false, "--train"},
		{"missing labels", train, test, filepath.Join(dir, "nope.csv"), false, "nope.csv"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.test, "shared/data") {
				if _, err := os.Stat(tt.test); err != nil {
					testutil.SkipOrFail(t, "data missing: "+err.Error())
				}
			}
			o, _ := holdoutOpts(t, tt.train, tt.test, tt.labels)
			o.Cross = tt.cross
			err := evaluateRun(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

// TestEvaluateHoldoutBalabit holds out the last session of three Balabit
// users and tests it against their models, each user's folder also
// holding the next user's last session as an impostor.
func TestEvaluateHoldoutBalabit(t *testing.T) {
	if testing.Short() {
		t.Skip("reads three users' Balabit logs")
	}
	train, test, labels := holdoutLayout(t, "../../../shared/data/balabit/training_files", []string{"user15", "user21", "user35"})
	o, out := holdoutOpts(t, train, test, labels)
	o.MaxActions, o.Trees = 400, 30
	if err := evaluateRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatal(err)
	}
	figs := map[string]float64{}
	for k, v := range doc["summary"][0] {
		figs[k], _ = v.(float64)
	}
	t.Logf("Balabit held out (3 users, 400 training actions each, 30 trees): %v", figs)
	if figs["genuine_sessions"] != 3 || figs["impostor_sessions"] != 3 || figs["genuine_actions"] < 300 {
		t.Errorf("summary %v", figs)
	}
	// Whole sessions of other users are told apart far better than chance,
	// single actions less well.
	if figs["session_auc"] < 0.75 || figs["action_auc"] < 0.6 || figs["action_auc"] > figs["session_auc"]+1e-9 {
		t.Errorf("session AUC %v, action AUC %v", figs["session_auc"], figs["action_auc"])
	}
}
