package evaluate

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
)

// TestSweepHonoursClassifier: a sweep trains the classifier it is given,
// at every tree count for a forest and over the windows only for a
// classifier without trees; tree counts for such a classifier are refused.
// (A sweep used to train a random forest whatever the classifier.)
func TestSweepHonoursClassifier(t *testing.T) {
	d := synth(3, 30, 2, 0.5, 3)
	type call struct {
		name   string
		params map[string]any
	}
	run := func(e Experiment) (*Run, []call, error) {
		var calls []call
		e.Settings = Settings{Windows: []int{1, 3}, Seed: 1}
		e.NewClassifier = func(name string, params map[string]any) (classify.Classifier, error) {
			calls = append(calls, call{name, params})
			return centroid{}, nil
		}
		r, err := e.Run(context.Background(), d)
		return r, calls, err
	}
	r, calls, err := run(Experiment{Mode: ModeSweep, Preset: PresetPublished, Classifier: "logreg"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if c.name != "logreg" || len(c.params) != 0 {
			t.Errorf("asked for %s %v, want logreg with its own settings", c.name, c.params)
		}
	}
	if len(r.Sweeps) != 2 || r.Sweeps[0].Param != "window" || r.Sweeps[1].Window != 3 || r.Sweeps[0].Trees != 0 {
		t.Errorf("logreg sweep points %+v", r.Sweeps)
	}

	_, calls, err = run(Experiment{Mode: ModeSweep, Preset: PresetPublished, Classifier: "malaschitz", TreeRange: []int{4, 8}})
	if err != nil {
		t.Fatal(err)
	}
	want := []call{{"malaschitz", map[string]any{"trees": 4}}, {"malaschitz", map[string]any{"trees": 4}}, {"malaschitz", map[string]any{"trees": 8}}}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("malaschitz sweep asked for %v, want %v", calls, want)
	}

	if _, _, err := run(Experiment{Mode: ModeSweep, Classifier: "mlp", TreeRange: []int{10, 20}}); err == nil ||
		!strings.Contains(err.Error(), "mlp has no trees to sweep") {
		t.Errorf("tree counts for mlp: %v", err)
	}
}
