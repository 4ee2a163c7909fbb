package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/internal/cli"
	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/preprocess"
)

func TestNewCmdClassifyTrain(t *testing.T) {
	for _, tc := range []struct {
		name, args, wantErr string
		want                map[string]any // parsed parameters
		classifier          string
		ratio               float64
	}{
		{"defaults: the improved preset", "--features f.csv --out m", "", map[string]any{}, "gbdt", 8},
		{"published preset", "--features f.csv --out m --preset published", "", map[string]any{"trees": 100}, "rf", 1},
		{"published preset, 7 trees", "--features f.csv --out m --preset published --trees 7", "", map[string]any{"trees": 7}, "rf", 1},
		{"the published preset's former name", "--features f.csv --out m --preset reference", "", map[string]any{"trees": 100}, "rf", 1},
		{"a classifier under the improved preset", "--features f.csv --out m --classifier rf --neg-ratio 2", "", map[string]any{}, "rf", 2},
		{"no out", "--features f.csv", "--features and --out are required", nil, "", 0},
		{"unknown preset", "--features f.csv --out m --preset fast", `--preset: unknown preset "fast"`, nil, "", 0},
		{"zero trees", "--features f.csv --out m --trees 0", "--trees must be >= 1", nil, "", 0},
		{"trees", "--features f.csv --out m --classifier rf --trees 7", "", map[string]any{"trees": 7}, "rf", 8},
		{"trees of gbdt", "--features f.csv --out m --trees 7", "--trees: classifier gbdt has no trees", nil, "", 0},
		{"unknown classifier", "--features f.csv --out m --classifier svm", `--classifier: classifier "svm": unknown`, nil, "", 0},
		{"trees of logreg", "--features f.csv --out m --classifier logreg --trees 50", "--trees: classifier logreg has no trees (it takes lambda, iter", nil, "", 0},
		{"trees twice", "--features f.csv --out m --classifier rf --trees 5 --param trees=6", "give the tree count once", nil, "", 0},
		{"unknown param", "--features f.csv --out m --classifier rf --param depth=3", `--param: rf: unknown parameter "depth" (it takes trees, max_features`, nil, "", 0},
		{"unknown param of the preset's", "--features f.csv --out m --param depth=3", `--param: gbdt: unknown parameter "depth"`, nil, "", 0},
		{"param of another classifier", "--features f.csv --out m --classifier kmeans --param lambda=1", `kmeans: unknown parameter "lambda"`, nil, "", 0},
		{"param type", "--features f.csv --out m --classifier rf --param trees=ten", "--param: rf: parameter trees=ten: want an integer", nil, "", 0},
		{"param range", "--features f.csv --out m --classifier logreg --param lambda=0", "parameter lambda=0: must be > 0", nil, "", 0},
		{"param without value", "--features f.csv --out m --param trees", `want name=value`, nil, "", 0},
		{"mlp", "--features f.csv --out m --classifier mlp --param hidden=64,32 --param lr=0.01", "",
			map[string]any{"hidden": []int{64, 32}, "lr": 0.01}, "mlp", 8},
		{"neg ratio", "--features f.csv --out m --neg-ratio 0", "--neg-ratio must be > 0", nil, "", 0},
		{"compat", "--features f.csv --out m --compat ref", `--compat must be clean or reference, not "ref"`, nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *TrainOptions
			cmd := newCmdClassifyTrain(&cli.Factory{IO: ios}, func(_ context.Context, o *TrainOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tc.args)
			if tc.wantErr != "" {
				wantUsageError(t, err, tc.wantErr)
				return
			}
			if err != nil || got.Seed != 0 || got.NegRatio != tc.ratio || got.Classifier != tc.classifier || !reflect.DeepEqual(got.params, tc.want) {
				t.Fatalf("err = %v, opts = %+v, params %v, want %v, %s, ratio %v", err, got, got.params, tc.want, tc.classifier, tc.ratio)
			}
		})
	}
}

// TestClassifyHelpListsEveryParameter: the help of train is generated from
// the classifier registry: every parameter of every classifier is listed
// with its default.
func TestClassifyHelpListsEveryParameter(t *testing.T) {
	cmd := newCmdClassifyTrain(&cli.Factory{IO: &cli.IOStreams{}}, nil)
	for _, name := range classify.Names() {
		specs, err := classify.Params(name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(cmd.Long, "  "+name+" ") {
			t.Errorf("help does not name classifier %s", name)
		}
		for _, s := range specs {
			if setting := strings.SplitN(s.String(), ":", 2)[0]; !strings.Contains(cmd.Long, setting) {
				t.Errorf("help lacks %s's %s", name, setting)
			}
		}
	}
}

// synthData writes synthetic logs of 3 users and their feature CSV with
// compat, and returns both paths.
func synthData(t *testing.T, compat preprocess.Compat) (logs, features string) {
	t.Helper()
	ios, _, _, _ := cli.TestIO()
	dir := t.TempDir()
	logs, features = filepath.Join(dir, "logs"), filepath.Join(dir, "f.csv")
	so := &SynthOptions{IO: ios, Out: logs}
	so.Users, so.Sessions, so.Actions, so.Seed = 3, 2, 40, 4
	if err := synthRun(context.Background(), so); err != nil {
		t.Fatal(err)
	}
	if err := featuresRun(context.Background(), &FeaturesOptions{IO: ios, Create: createFile, Data: logs, Out: features, Compat: compat, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	return logs, features
}

func train(t *testing.T, o *TrainOptions) string {
	t.Helper()
	ios, _, out, _ := cli.TestIO()
	o.IO, o.Load = ios, loadFeatures
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Output == "" {
		o.Output = "json"
	}
	if o.Classifier == "" {
		o.Classifier = "rf"
	}
	if o.NegRatio == 0 {
		o.NegRatio = 1
	}
	if err := trainRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// scoreRows are classify score's JSON rows (sessions or actions).
type scoreRows []struct {
	User    string  `json:"user"`
	Session string  `json:"session"`
	Actions int     `json:"actions"`
	Action  int     `json:"action"`
	Score   float64 `json:"score"`
}

func score(t *testing.T, o *ScoreOptions) (scoreRows, string) {
	t.Helper()
	ios, _, out, errOut := cli.TestIO()
	o.IO, o.Load, o.Output = ios, loadFeatures, "json"
	if err := scoreRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	var rows scoreRows
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return rows, errOut.String()
}

func scoreErr(o *ScoreOptions) error {
	ios, _, _, _ := cli.TestIO()
	o.IO, o.Load, o.Output = ios, loadFeatures, "json"
	return scoreRun(context.Background(), o)
}

// TestClassifyEveryClassifier trains, saves, loads and scores every
// registered classifier through the commands' run functions: each model
// records its schema and parameters, and each user's model scores its own
// sessions above the other users'.
func TestClassifyEveryClassifier(t *testing.T) {
	_, features := synthData(t, preprocess.Clean)
	for _, name := range classify.Names() {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "models")
			o := &TrainOptions{Features: features, Out: dir, Classifier: name, NegRatio: 2, Seed: 3}
			if classify.HasParam(name, "trees") {
				o.Params = []string{"trees=15"}
			}
			var trained []struct {
				User     string `json:"user"`
				Genuine  int    `json:"genuine"`
				Impostor int    `json:"impostor"`
			}
			if err := json.Unmarshal([]byte(train(t, o)), &trained); err != nil || len(trained) != 3 {
				t.Fatalf("trained %v (%v)", trained, err)
			}
			total := 0
			for _, tr := range trained {
				total += tr.Genuine
			}
			for _, tr := range trained {
				if tr.Impostor != min(2*tr.Genuine, total-tr.Genuine) {
					t.Errorf("--neg-ratio 2: %s has %d genuine, %d impostor rows", tr.User, tr.Genuine, tr.Impostor)
				}
			}
			models, err := evaluate.LoadModels(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range models.All() {
				h := m.Header
				if h.Classifier != name || h.Extractor != preprocess.ExtractorID || h.ExtractorVersion != preprocess.ExtractorVersion ||
					h.Convention != "clean" || !slices.Equal(h.FeatureNames, preprocess.FeatureNames[:]) || h.Seed != 3 || !h.SchemaKnown() {
					t.Errorf("header %+v", h)
				}
				specs, _ := classify.Params(name)
				for _, sp := range specs {
					if _, ok := h.Params[sp.Name]; !ok {
						t.Errorf("params %v: want every parameter recorded (no %s)", h.Params, sp.Name)
					}
				}
				// The improved preset's background negatives and guard.
				if h.Params["preset"] != "improved" || h.Params["background_rows"] != strconv.Itoa(h.Genuine) ||
					h.Bounds == nil || h.Range == nil || h.FormatVersion != classify.FormatVersion {
					t.Errorf("params %v, bounds %v, range %v, format %d: want the improved preset's guard",
						h.Params, h.Bounds != nil, h.Range != nil, h.FormatVersion)
				}
				if classify.HasParam(name, "trees") && h.Params["trees"] != "15" {
					t.Errorf("trees = %q, want 15", h.Params["trees"])
				}
			}
			// Each user's model, applied to every session: its own user's
			// sessions score highest on average.
			for _, m := range models.All() {
				rows, _ := score(t, &ScoreOptions{Model: models.Files[m], Features: features})
				var own, others []float64
				for _, r := range rows {
					if r.User == m.Header.User {
						own = append(own, r.Score)
					} else {
						others = append(others, r.Score)
					}
				}
				if len(own) != 2 || len(others) != 4 || mean(own) <= mean(others) {
					t.Errorf("model of %s: own sessions %v, others %v", m.Header.User, own, others)
				}
			}
		})
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// TestClassifyTrainScore trains models on a small published feature file,
// then scores the same file with the folder of models and with one user's
// model: each user's own model must score its actions above the other
// users'.
func TestClassifyTrainScore(t *testing.T) {
	features := testutil.Data(t, "features/dfl_39feat_PC_MM_DD_50.csv")
	dir := t.TempDir()
	out := train(t, &TrainOptions{Features: features, Out: dir, Params: []string{"trees=20"}, Seed: 1})
	var trained []map[string]any
	if err := json.Unmarshal([]byte(out), &trained); err != nil || len(trained) != 21 {
		t.Fatalf("trained %d users (%v): %s", len(trained), err, out)
	}
	m, err := evaluate.LoadModels(filepath.Join(dir, "1.model"))
	if err != nil {
		t.Fatal(err)
	}
	if h := m.Single.Header; h.Extractor != preprocess.PublishedExtractor || h.Convention != "reference" || h.FeatureNames[0] != "elapsedTime" {
		t.Errorf("a model of a published file: extractor %q, convention %q, names %v", h.Extractor, h.Convention, h.FeatureNames)
	}

	// Same seed, same model bytes (the header's creation time aside: Now
	// is fixed here).
	fixed := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	var first []byte
	for i := 0; i < 2; i++ {
		train(t, &TrainOptions{Features: features, Out: dir, Params: []string{"trees=20"}, Seed: 1, Now: fixed, User: "1"})
		b, _ := os.ReadFile(filepath.Join(dir, "1.model"))
		if i == 0 {
			first = b
		} else if string(b) != string(first) {
			t.Fatal("same seed gave different model files")
		}
	}

	rows, _ := score(t, &ScoreOptions{Model: filepath.Join(dir, "1.model"), Features: features})
	var own, others float64
	for _, r := range rows {
		if r.User == "1" {
			own = r.Score
		} else {
			others += r.Score / float64(len(rows)-1)
		}
	}
	if own <= others {
		t.Errorf("user 1's model: own score %.3f, others' mean %.3f", own, others)
	}

	// A corrupt model file is refused with a clear error.
	bad := filepath.Join(dir, "bad.model")
	b := append([]byte(nil), first...)
	b[len(b)/2] ^= 1
	os.WriteFile(bad, b, 0o644)
	if err := scoreErr(&ScoreOptions{Model: bad, Features: features}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt model: %v", err)
	}
}

// TestClassifyScoreRawMatchesFeatures: scoring raw logs (features
// extracted on the fly, with the models' convention) gives the same session
// scores as scoring the feature CSV extracted from them, in both
// conventions. Before models recorded their convention, raw logs were
// always extracted clean, and reference-trained models scored other actions
// (on the Balabit logs, session scores dropped from about 0.86 to 0.52).
func TestClassifyScoreRawMatchesFeatures(t *testing.T) {
	for _, compat := range []preprocess.Compat{preprocess.Clean, preprocess.Reference} {
		t.Run(compat.String(), func(t *testing.T) {
			logs, features := synthData(t, compat)
			models := filepath.Join(t.TempDir(), "m")
			train(t, &TrainOptions{Features: features, Out: models, Params: []string{"trees=10"}, Seed: 1})
			ms, err := evaluate.LoadModels(models)
			if err != nil {
				t.Fatal(err)
			}
			if c, _ := ms.Convention(); c != compat.String() {
				t.Fatalf("models record convention %q, want %s", c, compat)
			}
			fromCSV, _ := score(t, &ScoreOptions{Model: models, Features: features})
			fromRaw, _ := score(t, &ScoreOptions{Model: models, Data: logs})
			if !reflect.DeepEqual(fromCSV, fromRaw) || len(fromCSV) != 6 {
				t.Errorf("feature CSV:\n%+v\nraw logs:\n%+v", fromCSV, fromRaw)
			}
			// --compat may repeat the models' convention, not contradict it.
			other := "clean"
			if compat == preprocess.Clean {
				other = "reference"
			}
			if err := scoreErr(&ScoreOptions{Model: models, Data: logs, Compat: other}); err == nil ||
				!strings.Contains(err.Error(), "--compat "+other+", but the models in "+models+" were trained on "+compat.String()) {
				t.Errorf("contradicting --compat: %v", err)
			}
			if _, err := os.Stat(features); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestClassifyScoreAggregateMatchesEvaluate: classify score's session score
// is evaluate's window aggregate of the same action scores (a window over
// the whole session), for every aggregate; --per-action prints those action
// scores.
func TestClassifyScoreAggregateMatchesEvaluate(t *testing.T) {
	_, features := synthData(t, preprocess.Clean)
	models := filepath.Join(t.TempDir(), "m")
	train(t, &TrainOptions{Features: features, Out: models, Params: []string{"trees=10"}})
	actions, _ := score(t, &ScoreOptions{Model: models, Features: features, PerAction: true})
	bySession := map[string][]float64{}
	for i, a := range actions {
		bySession[a.User+"/"+a.Session] = append(bySession[a.User+"/"+a.Session], a.Score)
		if i > 0 && a.Session == actions[i-1].Session && a.Action != actions[i-1].Action+1 {
			t.Errorf("action %d follows %d in %s", a.Action, actions[i-1].Action, a.Session)
		}
	}
	if len(bySession) != 6 {
		t.Fatalf("%d sessions in the per-action output", len(bySession))
	}
	for _, agg := range []evaluate.Aggregate{evaluate.AggMean, evaluate.AggMedian, evaluate.AggTrimmed, evaluate.AggLogOdds} {
		sessions, _ := score(t, &ScoreOptions{Model: models, Features: features, Aggregate: string(agg)})
		if len(sessions) != 6 {
			t.Fatalf("%s: %d sessions", agg, len(sessions))
		}
		for _, s := range sessions {
			xs := bySession[s.User+"/"+s.Session]
			want := evaluate.Windows(xs, len(xs), agg)[0]
			if s.Score != want || s.Actions != len(xs) {
				t.Errorf("%s: session %s/%s scored %v over %d actions; evaluate's window of its %d action scores: %v",
					agg, s.User, s.Session, s.Score, s.Actions, len(xs), want)
			}
		}
	}
}

// TestClassifyScoreBadSchemas: columns are matched by name; a renamed or
// missing column, a model of other features, a convention mismatch and a
// model without its convention are refused with the file and column named.
func TestClassifyScoreBadSchemas(t *testing.T) {
	logs, features := synthData(t, preprocess.Clean)
	dir := t.TempDir()
	models := filepath.Join(dir, "m")
	train(t, &TrainOptions{Features: features, Out: models, Params: []string{"trees=10"}})
	b, err := os.ReadFile(features)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	rewrite := func(name string, edit func(fields []string, header bool) []string) string {
		var out []string
		for i, l := range lines {
			out = append(out, strings.Join(edit(strings.Split(l, ","), i == 0), ","))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Columns 6 and 7 (type_of_action, traveled_distance_pixel) swapped,
	// names and values: the same scores.
	swapped := rewrite("swapped.csv", func(f []string, _ bool) []string { f[5], f[6] = f[6], f[5]; return f })
	want, _ := score(t, &ScoreOptions{Model: models, Features: features})
	got, _ := score(t, &ScoreOptions{Model: models, Features: swapped})
	if !reflect.DeepEqual(got, want) {
		t.Errorf("swapped columns scored differently:\n%+v\n%+v", got, want)
	}
	// Values swapped under the same names: other scores (the check above
	// can fail).
	valuesSwapped := rewrite("values.csv", func(f []string, header bool) []string {
		if !header {
			f[6], f[7] = f[7], f[6]
		}
		return f
	})
	if got, _ := score(t, &ScoreOptions{Model: models, Features: valuesSwapped}); reflect.DeepEqual(got, want) {
		t.Error("swapping two columns' values did not change a score")
	}

	renamed := rewrite("renamed.csv", func(f []string, header bool) []string {
		if header {
			f[7] = "elapsed_seconds"
		}
		return f
	})
	dropped := rewrite("dropped.csv", func(f []string, _ bool) []string { return append(f[:7], f[8:]...) })
	published := testutil.Data(t, "features/dfl_39feat_PC_MM_DD_50.csv")
	noConvention := rewrite("old.csv", func(f []string, _ bool) []string { return append(f[:4:4], f[5:]...) })
	refFeatures := rewrite("ref.csv", func(f []string, header bool) []string {
		if !header {
			f[4] = "reference"
		}
		return f
	})
	for _, tc := range []struct {
		name string
		o    ScoreOptions
		want []string
	}{
		{"renamed column", ScoreOptions{Features: renamed}, []string{renamed, "u", `no column "elapsed_time" (the model's feature 3 of 39)`, `column 3 is "elapsed_seconds", which the model does not know`}},
		{"missing column", ScoreOptions{Features: dropped}, []string{dropped, `no column "elapsed_time"`}},
		{"other features", ScoreOptions{Model: filepath.Join(models, "User1.model"), Features: published}, []string{published, "holds reference features", "trained on clean features"}},
		{"no user has a model", ScoreOptions{Features: published}, []string{published, "nothing scored: none of the table's 21 users has a model (the models are of User1, User2, User3)"}},
		{"other features, convention stated", ScoreOptions{Features: noConvention, Compat: "reference"}, []string{noConvention, "holds reference features"}},
		{"convention contradicted", ScoreOptions{Features: refFeatures}, []string{refFeatures, "holds reference features", "--compat clean"}},
		{"file contradicted", ScoreOptions{Features: features, Compat: "reference"}, []string{features, "holds clean features, as its convention column says: --compat reference contradicts it"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			if o.Model == "" {
				o.Model = models
			}
			err := scoreErr(&o)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want one containing %q", err, w)
				}
			}
		})
	}
	// A published model (DFL names) on mouseauth features: the names differ.
	pubModels := filepath.Join(dir, "pub")
	train(t, &TrainOptions{Features: published, Out: pubModels, Params: []string{"trees=5"}, User: "1"})
	err = scoreErr(&ScoreOptions{Model: filepath.Join(pubModels, "1.model"), Features: refFeatures})
	if err == nil || !strings.Contains(err.Error(), `no column "elapsedTime"`) || !strings.Contains(err.Error(), "1.model") {
		t.Errorf("a DFL model on mouseauth features: %v", err)
	}

	// A CSV without the convention column trains models of unknown
	// convention (with a note); raw logs then need --compat.
	ios, _, _, errOut := cli.TestIO()
	unknown := filepath.Join(dir, "unknown")
	if err := trainRun(context.Background(), &TrainOptions{IO: ios, Now: time.Now, Load: loadFeatures, Features: noConvention, Out: unknown,
		Classifier: "logreg", NegRatio: 1, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "does not say its feature convention") {
		t.Errorf("no note on the unknown convention: %q", errOut)
	}
	if err := scoreErr(&ScoreOptions{Model: unknown, Data: logs}); err == nil || !strings.Contains(err.Error(), "give --compat clean or reference") {
		t.Errorf("raw logs, models of unknown convention: %v", err)
	}
	rows, _ := score(t, &ScoreOptions{Model: unknown, Data: logs, Compat: "clean"})
	if len(rows) != 6 {
		t.Errorf("with --compat clean: %+v", rows)
	}
	// --compat on train states it; contradicting the file is refused.
	stated := filepath.Join(dir, "stated")
	train(t, &TrainOptions{Features: noConvention, Out: stated, Compat: "clean", Classifier: "logreg"})
	if ms, err := evaluate.LoadModels(stated); err != nil || ms.All()[0].Header.Convention != "clean" {
		t.Errorf("--compat clean on train: %v", err)
	}
	ios, _, _, _ = cli.TestIO()
	err = trainRun(context.Background(), &TrainOptions{IO: ios, Now: time.Now, Load: loadFeatures, Features: published, Out: stated,
		Classifier: "logreg", NegRatio: 1, Compat: "clean", Output: "json"})
	if err == nil || !strings.Contains(err.Error(), "a published file") || !strings.Contains(err.Error(), "--compat clean contradicts it") {
		t.Errorf("--compat clean on a published file: %v", err)
	}
}

func TestNewCmdClassifyScore(t *testing.T) {
	for _, tc := range []struct{ name, args, wantErr string }{
		{"ok", "--model m --features f.csv", ""},
		{"both inputs", "--model m --features f.csv --data logs", "one of --features or --data"},
		{"aggregate", "--model m --features f.csv --aggregate max", `--aggregate: unknown aggregate "max"`},
		{"per action and aggregate", "--model m --features f.csv --per-action --aggregate median", "give one of the two"},
		{"compat", "--model m --data logs --compat none", "--compat must be clean or reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ios, _, _, _ := cli.TestIO()
			var got *ScoreOptions
			cmd := newCmdClassifyScore(&cli.Factory{IO: ios}, func(_ context.Context, o *ScoreOptions) error { got = o; return nil })
			err := execArgs(ios, cmd, tc.args)
			if tc.wantErr != "" {
				wantUsageError(t, err, tc.wantErr)
				return
			}
			if err != nil || got.Aggregate != "mean" || got.PerAction {
				t.Fatalf("err = %v, opts = %+v", err, got)
			}
		})
	}
}
