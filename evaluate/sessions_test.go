package evaluate

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

type scoreFunc func([]float64) float64

func (f scoreFunc) Score(x []float64) float64 { return f(x) }

func TestScoreSessions(t *testing.T) {
	d := &preprocess.Table{Users: []string{"a", "a", "b", "a", "c"}, Sessions: []string{"s1", "s1", "s2", "s3", "s4"},
		Names: []string{"f"}, X: [][]float64{{1}, {3}, {5}, {7}, {9}}}
	first := func(x []float64) float64 { return x[0] / 10 }
	model := &classify.SavedModel{Model: scoreFunc(first), Header: classify.Header{User: "a", FeatureNames: []string{"f"}}}
	got, missing, err := ScoreSessions(context.Background(), d, Models{ByUser: map[string]*classify.SavedModel{"a": model, "b": model}})
	if err != nil {
		t.Fatal(err)
	}
	want := []SessionScore{{"a", "s1", 2, 0.2}, {"b", "s2", 1, 0.5}, {"a", "s3", 1, 0.7}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(missing, map[string]int{"c": 1}) {
		t.Errorf("scores %v, missing %v", got, missing)
	}
	if got, _, _ := ScoreSessions(context.Background(), d, Models{Single: model}); len(got) != 4 {
		t.Errorf("single model: %v", got)
	}
	model.Header.FeatureNames = []string{"f", "g"}
	if _, _, err := ScoreSessions(context.Background(), d, Models{Single: model}); err == nil || !strings.Contains(err.Error(), `no column "g"`) {
		t.Errorf("a feature the table lacks: %v", err)
	}
	if _, _, err := ScoreSessions(context.Background(), d, Models{ByUser: map[string]*classify.SavedModel{}}); err == nil {
		t.Error("nothing scored: no error")
	}
}

// TestScoreActionsByName: a model's features are taken from the table's
// columns by name: swapped columns score the same, a renamed or missing
// column is refused naming it and the model's file, a table of another
// convention or without names is refused.
func TestScoreActionsByName(t *testing.T) {
	// The model scores 0.1*x + 0.01*y: swapping the values of x and y
	// changes every score, swapping the columns with their names does not.
	model := &classify.SavedModel{Model: scoreFunc(func(v []float64) float64 { return 0.1*v[0] + 0.01*v[1] }),
		Header: classify.Header{User: "u1", FeatureNames: []string{"x", "y"}, Convention: "clean"}}
	models := Models{Single: model, Files: map[*classify.SavedModel]string{model: "m/u1.model"}}
	table := func(names []string, rows ...[]float64) *preprocess.Table {
		d := &preprocess.Table{Names: names, Convention: "clean"}
		for _, r := range rows {
			d.Users, d.X = append(d.Users, "u1"), append(d.X, r)
		}
		return d
	}
	ctx := context.Background()
	a, _, err := ScoreActions(ctx, table([]string{"x", "y", "z"}, []float64{1, 2, 9}, []float64{3, 4, 9}), models)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := ScoreActions(ctx, table([]string{"z", "y", "x"}, []float64{9, 2, 1}, []float64{9, 4, 3}), models)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || math.Abs(a[0].Score-0.12) > 1e-12 || math.Abs(a[1].Score-0.34) > 1e-12 || !reflect.DeepEqual(a, b) {
		t.Errorf("columns by name: %v and %v, want scores 0.12, 0.34 for both", a, b)
	}
	for _, tt := range []struct {
		name string
		d    *preprocess.Table
		want []string
	}{
		{"renamed", table([]string{"x", "why"}, []float64{1, 2}), []string{"m/u1.model", `no column "y"`, `column 2 is "why"`}},
		{"missing", table([]string{"x"}, []float64{1}), []string{"m/u1.model", `no column "y"`}},
		{"no names", table(nil, []float64{1, 2}), []string{"names no feature columns", "m/u1.model"}},
		{"convention", func() *preprocess.Table {
			d := table([]string{"x", "y"}, []float64{1, 2})
			d.Convention = "reference"
			return d
		}(), []string{"reference features", "m/u1.model", "trained on clean features", "--compat clean"}},
	} {
		_, _, err := ScoreActions(ctx, tt.d, models)
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want one containing %q", tt.name, err, w)
			}
		}
	}
	// An unknown convention on either side is not checked.
	d := table([]string{"x", "y"}, []float64{1, 2})
	d.Convention = ""
	if _, _, err := ScoreActions(ctx, d, models); err != nil {
		t.Errorf("table of unknown convention: %v", err)
	}
}

// TestAggregateSessions: a session's score is the aggregate of its actions'
// scores by the same code as a window of that length.
func TestAggregateSessions(t *testing.T) {
	scores := []float64{0.9, 0.1, 0.8, 0.7, 0.95, 0.6, 0.99, 0.2, 0.85, 0.75, 0.5}
	var actions []ActionScore
	for i, s := range scores {
		actions = append(actions, ActionScore{Row: i, User: "u", Session: "s", Score: s})
	}
	actions = append(actions, ActionScore{Row: 11, User: "u", Session: "t", Score: 0.3})
	for _, agg := range []Aggregate{AggMean, AggMedian, AggTrimmed, AggLogOdds} {
		got := AggregateSessions(actions, agg)
		want := Windows(scores, len(scores), agg)[0]
		if len(got) != 2 || got[0].Actions != len(scores) || got[0].Score != want || got[1].Score != Windows([]float64{0.3}, 1, agg)[0] {
			t.Errorf("%s: %+v, want session s = %v", agg, got, want)
		}
	}
	if got := AggregateSessions(actions, ""); got[0].Score != Windows(scores, len(scores), AggMean)[0] {
		t.Errorf(`"" is not the mean: %v`, got)
	}
	if v := AggregateOf(AggMedian, nil); !math.IsNaN(v) {
		t.Errorf("Of(nil) = %v, want NaN", v)
	}
}

func TestLoadModels(t *testing.T) {
	dir := t.TempDir()
	d := synth(2, 20, 2, 0.5, 1)
	save := func(path, user, convention string) {
		own, others := classify.Split(d.Users, d.X, user)
		tr, err := classify.TrainUser(context.Background(), classify.Forest{Trees: 3}, own, others, classify.VersionRand(1, user, 1), classify.TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := classify.Save(f, &classify.SavedModel{Model: tr.Model, Header: classify.Header{Classifier: "rf", User: user,
			FeatureNames: []string{"f0", "f1"}, Extractor: "x", Convention: convention}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"u0", "u1"} {
		save(filepath.Join(dir, u+".model"), u, "clean")
	}
	ms, err := LoadModels(dir)
	if err != nil || ms.Single != nil || len(ms.ByUser) != 2 || ms.For("u1").Header.User != "u1" || ms.For("u2") != nil {
		t.Fatalf("folder: %+v, %v", ms, err)
	}
	if c, err := ms.Convention(); c != "clean" || err != nil {
		t.Errorf("Convention() = %q, %v", c, err)
	}
	if n := ms.Name(ms.For("u1")); !strings.Contains(n, filepath.Join(dir, "u1.model")) {
		t.Errorf("Name = %q, want the file", n)
	}
	one, err := LoadModels(filepath.Join(dir, "u0.model"))
	if err != nil || one.For("anyone").Header.User != "u0" || len(one.All()) != 1 {
		t.Fatalf("file: %+v, %v", one, err)
	}
	if _, err := LoadModels(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no .model files") {
		t.Errorf("empty folder: %v", err)
	}

	// Models of two conventions cannot share one extraction.
	mixed := t.TempDir()
	save(filepath.Join(mixed, "a.model"), "u0", "clean")
	save(filepath.Join(mixed, "b.model"), "u1", "reference")
	if ms, err := LoadModels(mixed); err != nil {
		t.Fatal(err)
	} else if _, err := ms.Convention(); err == nil || !strings.Contains(err.Error(), "b.model") || !strings.Contains(err.Error(), "reference") {
		t.Errorf("mixed conventions: %v", err)
	}
	// Two files of one user: refused, naming both.
	save(filepath.Join(dir, "u1-again.model"), "u1", "clean")
	if _, err := LoadModels(dir); err == nil || !strings.Contains(err.Error(), "u1-again.model") || !strings.Contains(err.Error(), filepath.Join(dir, "u1.model")) {
		t.Errorf("two models of u1: %v", err)
	}
	os.Remove(filepath.Join(dir, "u1-again.model"))

	bad := filepath.Join(dir, "bad.model")
	os.WriteFile(bad, []byte("not a model"), 0o644)
	if _, err := LoadModels(dir); err == nil || !strings.Contains(err.Error(), "bad.model") {
		t.Errorf("bad file: %v", err)
	}
}
