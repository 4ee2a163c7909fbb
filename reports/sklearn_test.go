package reports

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mouseauth/mouseauth/reports/reportstest"
)

// sklearnCheck reads scores.csv.gz and curves.csv.gz with Python's csv and
// gzip and recomputes, with scikit-learn, every AUC and EER the run
// reports: per result and window, the pooled AUC (roc_auc_score over every
// window of every user and seed) and EER, each user's AUC and EER at each
// seed, their means over seeds then users (the mean per-user AUC and EER).
// The EER is the one definition the run uses: on roc_curve's points
// (drop_intermediate=False, every distinct score a threshold), the point
// where the segment between the last point with FNMR > FMR and the next
// crosses FMR = FNMR, linearly interpolated; the common recipe
// brentq(lambda x: 1 - x - interp1d(fpr, tpr)(x), 0, 1) finds the same
// point where no segment is vertical. It also checks that the pooled curve
// of curves.csv.gz is sklearn's roc_curve. It prints one JSON object.
const sklearnCheck = `
import csv, gzip, io, json, sys
from collections import defaultdict
import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

def eer(y, s):
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    for i in range(1, len(fpr)):
        d0, d1 = (1 - tpr[i-1]) - fpr[i-1], (1 - tpr[i]) - fpr[i]
        if d1 <= 0:
            t = d0 / (d0 - d1) if d0 != d1 else 0.0
            return fpr[i-1] + t * (fpr[i] - fpr[i-1])
    return fpr[-1]

d = sys.argv[1]
pooled = defaultdict(lambda: ([], []))
user = defaultdict(lambda: ([], []))
with io.TextIOWrapper(gzip.open(d + "/scores.csv.gz"), newline="") as f:
    for r in csv.DictReader(f):
        key = (r["result"], int(r["window"]))
        g, s = int(r["genuine"]), float(r["score"])
        pooled[key][0].append(g); pooled[key][1].append(s)
        uk = key + (r["claimed_user"], r["seed"])
        user[uk][0].append(g); user[uk][1].append(s)
out = {}
for key, (y, s) in pooled.items():
    per = defaultdict(list)
    for (res, w, u, seed), (uy, us) in user.items():
        if (res, w) == key and 0 < sum(uy) < len(uy):
            per[u].append((roc_auc_score(uy, us), eer(uy, us)))
    aucs = [np.mean([a for a, _ in v]) for v in per.values()]
    eers = [np.mean([e for _, e in v]) for v in per.values()]
    out["%s|%d" % key] = {"pooled_auc": roc_auc_score(y, s), "pooled_eer": eer(y, s),
        "mean_auc": float(np.mean(aucs)), "mean_eer": float(np.mean(eers)), "users": len(per)}
curves = defaultdict(list)
with io.TextIOWrapper(gzip.open(d + "/curves.csv.gz"), newline="") as f:
    for r in csv.DictReader(f):
        if r["curve"] == "pooled":
            curves["%s|%s" % (r["result"], r["window"])].append((float(r["fmr"]), float(r["fnmr"])))
for key, pts in curves.items():
    res, w = key.split("|")
    y, s = pooled[(res, int(w))]
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    ok = len(pts) == len(fpr) and all(abs(a - b) < 1e-12 and abs(c - (1 - e)) < 1e-12 for (a, c), b, e in zip(pts, fpr, tpr))
    out[key]["curve_matches"] = bool(ok)
print(json.dumps(out))
`

// python finds Debian's python3 with scikit-learn, or skips the test (fails
// it when MOUSEAUTH_REQUIRE_ALL=1, as in CI).
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import sklearn, numpy").Run(); err != nil {
		msg := py + " with scikit-learn not found: install the Debian package python3-sklearn to run the cross-check"
		if os.Getenv("MOUSEAUTH_REQUIRE_ALL") == "1" {
			t.Fatal(msg + " (MOUSEAUTH_REQUIRE_ALL=1 forbids skipping)")
		}
		t.Skip(msg)
	}
	return py
}

// TestScoresAgainstScikitLearn is the cross-check of the exported scores:
// scikit-learn, reading scores.csv.gz and curves.csv.gz, gets every AUC
// and EER of the run's summaries to 1e-9: pooled (every window of every
// user and seed) and mean per user (each user's figure averaged over the
// seeds, then over users), over two results, two windows and four seeds.
func TestScoresAgainstScikitLearn(t *testing.T) {
	t.Parallel()
	py := python(t)
	run := reportstest.SeedsRun()
	dir := t.TempDir()
	if _, err := WriteRun(dir, run); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "check.py")
	if err := os.WriteFile(script, []byte(sklearnCheck), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, script, dir).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%v\n%s", err, stderr)
	}
	var got map[string]struct {
		PooledAUC    float64 `json:"pooled_auc"`
		PooledEER    float64 `json:"pooled_eer"`
		MeanAUC      float64 `json:"mean_auc"`
		MeanEER      float64 `json:"mean_eer"`
		Users        int     `json:"users"`
		CurveMatches bool    `json:"curve_matches"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	checked := 0
	for i, set := range run.ScoreSets {
		for _, s := range run.Results[i].Summary {
			key := set.Name + "|" + strconv.Itoa(s.Window)
			g, ok := got[key]
			if !ok {
				t.Fatalf("scikit-learn has no %s (has %v)", key, keys(got))
			}
			st := s.Stats
			for name, pair := range map[string][2]float64{
				"pooled AUC": {g.PooledAUC, st.Pooled.AUC.Value}, "pooled EER": {g.PooledEER, st.Pooled.EER.Value},
				"mean per-user AUC": {g.MeanAUC, st.MeanAUC.Value}, "mean per-user EER": {g.MeanEER, st.MeanEER.Value},
			} {
				if d := pair[0] - pair[1]; d > 1e-9 || d < -1e-9 {
					t.Errorf("%s %s: scikit-learn %.15f, ours %.15f", key, name, pair[0], pair[1])
				}
				checked++
			}
			if g.Users != st.Users || !g.CurveMatches {
				t.Errorf("%s: scikit-learn %d users (ours %d), pooled curve matches roc_curve: %v", key, g.Users, st.Users, g.CurveMatches)
			}
		}
	}
	if checked != 4*len(run.ScoreSets)*len(reportstest.Windows) {
		t.Errorf("checked %d figures", checked)
	}
	t.Logf("%d figures of %d results over seeds %v agree with scikit-learn to 1e-9", checked, len(run.ScoreSets), run.Seeds)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
