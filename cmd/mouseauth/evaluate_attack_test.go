package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/reports"
)

func TestNewCmdEvaluateJudgeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, argv string
		attack     bool
		check      func(t *testing.T, o *JudgeOptions)
		wantErr    string
	}{
		{name: "continuous defaults", argv: "--features f.csv", check: func(t *testing.T, o *JudgeOptions) {
			if !reflect.DeepEqual(o.Deployments, evaluate.DeploymentNames) || !reflect.DeepEqual(o.Seeds, []int64{0}) ||
				o.SessionActions != 0 || o.TestSessions != 2 || o.Trees != 100 || o.Mode != modeContinuous {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "attack defaults", attack: true, argv: "--data logs --seeds 0:2", check: func(t *testing.T, o *JudgeOptions) {
			if !reflect.DeepEqual(o.Deployments, []string{"old", "sequential"}) || !reflect.DeepEqual(o.Seeds, []int64{0, 1, 2}) ||
				o.SessionActions != 20 || o.Probes != 300 || o.AttackSessions != 10 || !reflect.DeepEqual(o.Attacks, evaluate.AttackNames) {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "policy", argv: "--features f.csv --deployments sequential --policy decide/1", check: func(t *testing.T, o *JudgeOptions) {
			ds, err := o.deployments()
			if err != nil || len(ds) != 2 || ds[1].Name != "policy" || ds[1].Policy.String() != evaluate.RecommendedPolicy().String() {
				t.Errorf("deployments %+v, %v", ds, err)
			}
		}},
		{name: "both inputs", argv: "--features f.csv --data d", wantErr: "none of the others can be"},
		{name: "no input", argv: "--seeds 0:1", wantErr: "at least one of the flags"},
		{name: "seed and seeds", argv: "--features f.csv --seed 1 --seeds 0:2", wantErr: "if any flags in the group [seed seeds] are set none of the others can be"},
		{name: "unknown deployment", argv: "--features f.csv --deployments old,fast", wantErr: `unknown deployment "fast"`},
		{name: "bad policy", argv: "--features f.csv --policy decide/1_step=0", wantErr: "--policy: invalid decision policy"},
		{name: "unknown attack", attack: true, argv: "--features f.csv --attacks random,teleport", wantErr: `unknown attack "teleport"`},
		{name: "no probes", attack: true, argv: "--features f.csv --probes 0", wantErr: "--probes 0"},
		{name: "bad split", argv: "--features f.csv --split random", wantErr: "--split must be"},
		{name: "bad compat", argv: "--data d --compat odd", wantErr: "--compat must be"},
		{name: "train fraction", argv: "--features f.csv --train-fraction 1", wantErr: "--train-fraction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory()
			var got *JudgeOptions
			runF := func(_ context.Context, o *JudgeOptions) error { got = o; return nil }
			cmd := newCmdEvaluateContinuous(f, runF)
			if tt.attack {
				cmd = newCmdEvaluateAttack(f, runF)
			}
			err := execArgs(f.IO, cmd, tt.argv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

// synthFeatureCSV writes the features of synthetic logs (users, 4
// sessions of 120 actions each) to dir/features.csv, as dataset synth and
// preprocess features make them.
func synthFeatureCSV(t *testing.T, dir string, users int) string {
	t.Helper()
	logs := synthLogs(t, users, 4, 120)
	fo := &FeaturesOptions{IO: testIO(), Create: createFile, Data: logs, Out: filepath.Join(dir, "features.csv"), Output: "table"}
	if err := featuresRun(context.Background(), fo); err != nil {
		t.Fatal(err)
	}
	return fo.Out
}

// The attack command on synthetic users: the old scorer fails every
// target it is checked on (its first 9 actions are accepted unjudged, it
// accepts a constant vector for a whole session); the sequential rule
// accepts nothing unjudged, alerts every constant, repeated and mean
// session with at most 3 accepted actions. run.json and the tidy CSVs are
// written and the report has the attack section.
func TestEvaluateAttackSynthetic(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("trains 2 presets for 5 users")
	}
	dir := t.TempDir()
	features := synthFeatureCSV(t, dir, 5)
	f, out, errOut := testFactory()
	o := &JudgeOptions{IO: f.IO, Now: f.Now, Args: []string{"mouseauth", "evaluate", "attack"}, Version: "test", Mode: modeAttack,
		Features: features, Deployments: []string{"old", "sequential"}, Seeds: []int64{0}, Trees: 20, TrainFraction: 2.0 / 3,
		TestSessions: 2, SessionActions: 20, Probes: 60, AttackSessions: 3, Output: "json", Out: filepath.Join(dir, "run"),
		Attacks: []string{"short-sessions", "random", "constant", "victim-mean", "repeat", "hill-blind"},
		Load:    loadFeatures, NewClassifier: nil}
	o.NewClassifier = newClassifierForTest
	if err := judgeRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	met := map[string]bool{}
	for _, r := range doc["targets"] {
		key := r["deployment"].(string) + ": " + strings.SplitN(r["target"].(string), ":", 2)[0]
		met[key] = r["met"].(bool)
		t.Logf("%s: %v (%s)", key, r["met"], r["measured"])
	}
	want := map[string]bool{
		"old: short sessions": false, "old: constant, repeated and victim's-mean vectors": false,
		"sequential: short sessions": true, "sequential: constant, repeated and victim's-mean vectors": true,
	}
	for k, v := range want {
		if got, ok := met[k]; !ok || got != v {
			t.Errorf("target %q met = %v (present %v), want %v", k, got, ok, v)
		}
	}
	// Every row of the tidy summary names a deployment, attack and metric.
	rows := 0
	for _, r := range doc["summary"] {
		if r["deployment"] == "" || r["attack"] == "" || r["metric"] == "" {
			t.Errorf("summary row %v", r)
		}
		rows++
	}
	if rows != 2*6*len(evaluate.AttackMetrics) {
		t.Errorf("%d summary rows, want %d", rows, 2*6*len(evaluate.AttackMetrics))
	}
	// The gates are on unless --no-gates: stderr says so only then.
	if strings.Contains(errOut.String(), "--no-gates") {
		t.Errorf("stderr says the models have no gates:\n%s", errOut)
	}
	for _, name := range []string{"run.json", "attack_summary.csv", "attack_users.csv"} {
		if _, err := os.Stat(filepath.Join(o.Out, name)); err != nil {
			t.Error(err)
		}
	}
	run, err := reports.ReadRun(filepath.Join(o.Out, "run.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Attacks) != 1 || len(run.Attacks[0].Users) != 2*6*5 {
		t.Fatalf("run.json: %d attack results", len(run.Attacks))
	}
	var html strings.Builder
	figs, err := reports.Figures(run, reports.ScreenStyle())
	if err != nil {
		t.Fatal(err)
	}
	var rendered []reports.Rendered
	for _, fg := range figs {
		svg, err := reports.RenderSVG(fg)
		if err != nil {
			t.Fatal(err)
		}
		rendered = append(rendered, reports.Rendered{Figure: fg, SVG: svg})
	}
	if err := reports.WriteHTML(&html, run, rendered); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`id="attacks"`, "targets</h3>", `id="fig-attacks"`} {
		if !strings.Contains(html.String(), s) {
			t.Errorf("report.html lacks %s", s)
		}
	}
}

// newClassifierForTest builds the presets' classifiers small: gbdt with
// 30 rounds of one bag (the forest's trees come from the options).
func newClassifierForTest(name string, params map[string]any) (classify.Classifier, error) {
	if name == "gbdt" {
		params = map[string]any{"rounds": 30, "bags": 1}
	}
	return classify.New(name, params)
}

// The continuous command on synthetic users with sessions: split by
// sessions, false alarms per hour defined (the feature CSV has start
// times), the recommended policy printed.
func TestEvaluateContinuousSynthetic(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "trains two presets for four users")
	if testing.Short() {
		t.Skip("trains 2 presets for 4 users")
	}
	dir := t.TempDir()
	features := synthFeatureCSV(t, dir, 4)
	ios, _, out, errOut := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Version: "test", Now: time.Now})
	root.SetArgs([]string{"evaluate", "continuous", "--features", features, "--trees", "20", "-o", "json", "-q"})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out.String())
	}
	perHour := 0
	for _, r := range doc["summary"] {
		if r["metric"] == evaluate.MetricFalseAlarmsHour && r["mean"] != nil {
			perHour++
		}
	}
	if perHour != 3 {
		t.Errorf("false alarms per hour defined for %d deployments, want 3", perHour)
	}
	if !strings.Contains(errOut.String(), "recommended policy: decide/1 rule=sequential") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if len(doc["users"]) != 3*4 || doc["deployments"][0]["deployment"] != "old" {
		t.Errorf("%d user rows, deployments %v", len(doc["users"]), doc["deployments"])
	}
}

// The examples of 'evaluate attack --help' and 'evaluate continuous
// --help' that read features.csv run as written, on a synthetic
// features.csv in the working folder. Not parallel: it t.Chdirs there.
func TestJudgeHelpExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the presets' full models")
	}
	dir := t.TempDir()
	synthFeatureCSV(t, dir, 3)
	t.Chdir(dir)
	ios, _, _, _ := cli.TestIO()
	root := newCmdRoot(&cli.Factory{IO: ios, Version: "test", Now: time.Now})
	ran := 0
	for _, ex := range helpExamples(root) {
		if !strings.HasPrefix(ex.cmd, "mouseauth evaluate attack") && !strings.HasPrefix(ex.cmd, "mouseauth evaluate continuous") ||
			!strings.Contains(ex.line, "--features features.csv") {
			continue
		}
		ios, _, out, errOut := cli.TestIO()
		root := newCmdRoot(&cli.Factory{IO: ios, Version: "test", Now: time.Now})
		root.SetArgs(append(ex.args, "-o", "json", "-q"))
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Errorf("mouseauth %s: %v\n%s", ex.line, err, errOut)
			continue
		}
		var doc map[string][]map[string]any
		if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || len(doc["summary"]) == 0 {
			t.Errorf("mouseauth %s: %v\n%s", ex.line, err, out)
		}
		ran++
	}
	if ran != 2 {
		t.Errorf("%d examples ran, want 2 (one per command)", ran)
	}
}
