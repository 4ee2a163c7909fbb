package evaluate

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
)

func TestComputeROC(t *testing.T) {
	tests := []struct {
		name    string
		scores  []float64
		genuine []bool
		auc     float64
		eer     float64
	}{
		// scikit-learn roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75.
		{"sklearn example", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75, 0.5},
		{"perfect", []float64{0.9, 0.8, 0.2, 0.1}, []bool{true, true, false, false}, 1, 0},
		{"inverted", []float64{0.1, 0.2, 0.8, 0.9}, []bool{true, true, false, false}, 0, 1},
		// All tied: the ROC is the diagonal, AUC 0.5 (as scikit-learn).
		{"ties", []float64{0.5, 0.5, 0.5, 0.5}, []bool{true, false, true, false}, 0.5, 0.5},
		// Pairs (0.7>0.5)=1 and (0.5=0.5)=0.5: AUC 0.75; EER interpolated to 1/3.
		{"half tie", []float64{0.7, 0.5, 0.5}, []bool{true, true, false}, 0.75, 1.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roc, auc, eer, _, err := ComputeROC(tt.scores, tt.genuine)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(auc-tt.auc) > 1e-12 {
				t.Errorf("AUC = %v, want %v", auc, tt.auc)
			}
			if math.Abs(eer-tt.eer) > 1e-12 {
				t.Errorf("EER = %v, want %v", eer, tt.eer)
			}
			if roc.FPR[0] != 0 || roc.TPR[0] != 0 || roc.FPR[len(roc.FPR)-1] != 1 || roc.TPR[len(roc.TPR)-1] != 1 {
				t.Errorf("ROC does not run from (0,0) to (1,1): %v %v", roc.FPR, roc.TPR)
			}
		})
	}
}

func TestComputeROCErrors(t *testing.T) {
	if _, _, _, _, err := ComputeROC([]float64{0.1, 0.2}, []bool{true, true}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: err = %v, want ErrOneClass", err)
	}
	if _, _, _, _, err := ComputeROC([]float64{math.NaN(), 0.2}, []bool{true, false}); err == nil {
		t.Error("NaN score: no error")
	}
}

func TestMeanROC(t *testing.T) {
	a := ROCCurve{FPR: []float64{0, 0, 1}, TPR: []float64{0, 1, 1}} // perfect
	b := ROCCurve{FPR: []float64{0, 1}, TPR: []float64{0, 1}}       // chance
	m := MeanROC([]ROCCurve{a, b})
	if len(m.FPR) != len(ROCGrid) || len(m.TPR) != len(ROCGrid) || m.FPR[0] != 0 || m.FPR[len(m.FPR)-1] != 1 {
		t.Fatalf("grid %d/%d points, want %d from 0 to 1", len(m.FPR), len(m.TPR), len(ROCGrid))
	}
	want := make([]float64, len(ROCGrid))
	for i := range want {
		want[i] = (1 + m.FPR[i]) / 2
	}
	if !floats.EqualApprox(m.TPR, want, 1e-12) {
		t.Errorf("mean TPR = %v, want %v", m.TPR[:5], want[:5])
	}
}

func TestTPRAt(t *testing.T) {
	a := ROCCurve{FPR: []float64{0, 0, 0.5, 1}, TPR: []float64{0, 0.4, 0.8, 1}}
	for _, tt := range []struct{ x, want float64 }{
		{0, 0.4},    // the highest TPR at exactly FPR 0
		{0.25, 0.6}, // interpolated
		{0.5, 0.8}, {0.75, 0.9}, {1, 1},
	} {
		if got := TPRAt(a, tt.x); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("TPRAt(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
	// Averaging TPRAt on MeanROC's grid gives MeanROC, so callers may use
	// other grids and stay consistent with it.
	b := ROCCurve{FPR: []float64{0, 0.3, 1}, TPR: []float64{0.1, 0.2, 1}}
	m := MeanROC([]ROCCurve{a, b})
	for i, x := range m.FPR {
		if got := (TPRAt(a, x) + TPRAt(b, x)) / 2; math.Abs(got-m.TPR[i]) > 1e-12 {
			t.Fatalf("at FPR %v: mean of TPRAt %v, MeanROC %v", x, got, m.TPR[i])
		}
	}
}

func TestWindows(t *testing.T) {
	s := []float64{0.2, 0.4, 0.9, 0.1}
	if got, want := Windows(s, 2, AggMean), []float64{0.3, 0.65, 0.5}; !floats.EqualApprox(got, want, 1e-12) {
		t.Errorf("mean windows = %v, want %v", got, want)
	}
	if got := Windows(s, 5, AggMean); got != nil {
		t.Errorf("window longer than scores = %v, want none", got)
	}
	if got, want := Windows(s, 3, AggMedian), []float64{0.4, 0.4}; !floats.EqualApprox(got, want, 1e-12) {
		t.Errorf("median windows = %v, want %v", got, want)
	}
	// Log-odds of 0.9 and 0.1 cancel: the window is neutral.
	if got := Windows([]float64{0.9, 0.1}, 2, AggLogOdds); math.Abs(got[0]-0.5) > 1e-12 {
		t.Errorf("logodds(0.9, 0.1) = %v, want 0.5", got[0])
	}
	// 1 is clamped to 1-LogOddsEps, so no Inf.
	if got := Windows([]float64{1, 1}, 2, AggLogOdds); math.Abs(got[0]-(1-LogOddsEps)) > 1e-12 {
		t.Errorf("logodds(1, 1) = %v, want %v", got[0], 1-LogOddsEps)
	}
	ten := []float64{0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1e3}
	if got := Windows(ten, 10, AggTrimmed); got[0] != 0.5 {
		t.Errorf("trimmed = %v, want 0.5 (extremes dropped)", got[0])
	}
}
