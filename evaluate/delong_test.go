package evaluate

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// asah reads testdata/asah.csv: pROC's aSAH data set (113 patients after
// aneurysmal subarachnoid haemorrhage, outcome Good or Poor, and the
// markers wfns, s100b and ndka), as pROC's own tests use it. Poor outcome
// is the positive class, as pROC's roc(aSAH$outcome, marker) takes it.
func asah(t *testing.T) (pos, neg map[string][]float64) {
	t.Helper()
	f, err := os.Open("testdata/asah.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	pos, neg = map[string][]float64{}, map[string][]float64{}
	for _, r := range rows[1:] {
		for k, name := range rows[0][1:] {
			v, err := strconv.ParseFloat(r[k+1], 64)
			if err != nil {
				t.Fatal(err)
			}
			if r[0] == "P" {
				pos[name] = append(pos[name], v)
			} else {
				neg[name] = append(neg[name], v)
			}
		}
	}
	return pos, neg
}

// TestDeLongAgainstPROC checks DeLong's test against the figures pROC's
// test suite pins (tests/testthat/test-roc.test.R: roc.test(r.wfns,
// r.s100b) and the others, paired and paired = FALSE; test-cov.R for the
// AUCs' variances).
func TestDeLongAgainstPROC(t *testing.T) {
	t.Parallel()
	pos, neg := asah(t)
	paired := []struct {
		a, b string // roc.test(r.a, r.b): Z of AUC a − AUC b
		z, p float64
	}{
		{"wfns", "s100b", 2.20898359144091, 0.0271757822291882},
		{"wfns", "ndka", 2.79777591868904, 0.00514557970691098},
		{"ndka", "s100b", -1.39077002573558, 0.164295175223054},
	}
	for _, c := range paired {
		// Our Diff is B − A: pass pROC's second curve as A.
		r, err := DeLongPaired(pos[c.b], neg[c.b], pos[c.a], neg[c.a])
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Z-c.z) > 1e-9 || math.Abs(r.P-c.p) > 1e-9 {
			t.Errorf("paired %s vs %s: Z %.14f p %.14f, pROC Z %.14f p %.14f", c.a, c.b, r.Z, r.P, c.z, c.p)
		}
	}
	unpaired := []struct {
		a, b string
		d, p float64
	}{
		{"wfns", "s100b", 1.43490640926908, 0.152825378808796},
		{"wfns", "ndka", 3.10125096778969, 0.00220950791756457},
		{"ndka", "s100b", -1.55995743389685, 0.120192832430845},
	}
	for _, c := range unpaired {
		r, err := DeLongUnpaired(pos[c.b], neg[c.b], pos[c.a], neg[c.a])
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.Z-c.d) > 1e-9 || math.Abs(r.P-c.p) > 1e-9 {
			t.Errorf("unpaired %s vs %s: D %.14f p %.14f (df %.3f), pROC D %.14f p %.14f", c.a, c.b, r.Z, r.P, r.DF, c.d, c.p)
		}
	}
	// AUCs and their variances (pROC var(r.wfns), var(r.ndka)).
	r, err := DeLongPaired(pos["wfns"], neg["wfns"], pos["ndka"], neg["ndka"])
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(r.AUCA-0.823678861788618) > 1e-12 || math.Abs(r.AUCB-0.611957994579946) > 1e-12 {
		t.Errorf("AUCs %v %v, pROC 0.823678861788618 0.611957994579946", r.AUCA, r.AUCB)
	}
	// The same curve twice: Z 0, p 1 (pROC's "identical" case).
	same, err := DeLongPaired(pos["wfns"], neg["wfns"], pos["wfns"], neg["wfns"])
	if err != nil || same.Z != 0 || same.P != 1 {
		t.Errorf("identical curves: %+v, %v", same, err)
	}
	// Our AUC agrees with the placements' mean.
	scores := append(append([]float64(nil), pos["s100b"]...), neg["s100b"]...)
	labels := make([]bool, len(scores))
	for i := range pos["s100b"] {
		labels[i] = true
	}
	_, auc, _, _, err := ComputeROC(scores, labels)
	if err != nil {
		t.Fatal(err)
	}
	if p := delongPlacements(pos["s100b"], neg["s100b"]); math.Abs(p.theta-auc) > 1e-12 {
		t.Errorf("placements' AUC %v, ComputeROC %v", p.theta, auc)
	}
	if _, err := DeLongPaired(pos["wfns"], neg["wfns"], pos["wfns"][1:], neg["wfns"]); err == nil {
		t.Error("paired curves of different trials: no error")
	}
}
