package reports

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/mouseauth/mouseauth/evaluate"
	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// TestCommandTable checks the tables `mouseauth evaluate` prints: their
// columns, and that every figure comes from the run.
func TestCommandTable(t *testing.T) {
	run := reportstest.Run()
	nu, nw := len(reportstest.Users), len(reportstest.Windows)

	users := CommandTable(evaluate.ModeRun, &evaluate.Run{Results: run.Results[:1]})
	if !slices.Equal(users.Columns, []string{"window", "user", "auc", "eer", "accuracy", "genuine", "impostor"}) || len(users.Rows) != nw*(nu+2) {
		t.Fatalf("run: columns %v, %d rows", users.Columns, len(users.Rows))
	}
	r, s := run.Results[0], run.Results[0].Summary[1]
	mean, sd := users.Rows[2*(nu+2)-2], users.Rows[2*(nu+2)-1]
	if !reflect.DeepEqual(mean, []any{s.Window, "mean", s.MeanAUC, s.MeanEER, s.MeanAccuracy, nil, nil}) ||
		!reflect.DeepEqual(sd, []any{s.Window, "sd", s.SDAUC, s.SDEER, s.SDAccuracy, nil, nil}) {
		t.Errorf("summary rows %v %v", mean, sd)
	}
	u := usersAt(r, s.Window)[0]
	if !reflect.DeepEqual(users.Rows[nu+2], []any{u.Window, u.User, u.AUC, u.EER, u.Accuracy, u.Genuine, u.Impostor}) {
		t.Errorf("user row %v, want %+v", users.Rows[nu+2], u)
	}

	cmp := CommandTable(evaluate.ModeCompare, run)
	if len(cmp.Columns) != 9 || cmp.Columns[1] != "preset" || len(cmp.Rows) != 2*nw || cmp.Rows[nw][0] != "logreg" || cmp.Rows[0][8] != r.Seconds {
		t.Errorf("compare: %v %v", cmp.Columns, cmp.Rows)
	}
	sw := CommandTable(evaluate.ModeSweep, run)
	if !slices.Equal(sw.Columns, []string{"trees", "window", "mean_auc", "sd_auc", "mean_eer", "seconds"}) || len(sw.Rows) != len(run.Sweeps) ||
		sw.Rows[1][0] != run.Sweeps[1].Trees || sw.Rows[1][2] != run.Sweeps[1].MeanAUC {
		t.Errorf("sweep: %v %v", sw.Columns, sw.Rows[:2])
	}
	if th := CommandTable(evaluate.ModeThreshold, run); !reflect.DeepEqual(th, ThresholdTable(run.Thresholds)) {
		t.Error("threshold: not ThresholdTable")
	}
}

func TestWriteRunReadRun(t *testing.T) {
	run := reportstest.Run()
	dir := filepath.Join(t.TempDir(), "new")
	path, err := WriteRun(dir, run)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, RunFile) {
		t.Errorf("path %s", path)
	}
	back, err := ReadRun(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Thresholds, run.Thresholds) || len(back.Results) != 2 || back.Manifest.Seed != 42 {
		t.Errorf("read back %+v", back.Manifest)
	}
}
