package evaluate

import (
	"math"
	"slices"
	"testing"

	"github.com/mouseauth/mouseauth/internal/testutil"
)

// highRate is the event rate (events per second of an action) that splits
// DFL-500's two recording regimes: most users record 30-90 events/s, users
// 4, 7, 16 and 18 (part of the time) and user 5 (from its 345th action on)
// 150-600 events/s, with acceleration, jerk and angular-velocity statistics
// 10 to 20 times larger at the finer time steps.
const highRate = 150

// TestDFL500User5TestPartIsAnotherRegime pins down why DFL-500's user 5
// has an inverted AUC and so caps the window 10 mean: a property of the
// published file, not of the evaluation. Mean over seeds 0-9, user 5 at
// windows 1 and 10: published preset 0.240 and 0.048, improved preset 0.250
// and 0.055, the published protocol re-run with scikit-learn 1.2.1 0.24 and
// 0.034 (its window 10 mean over users, 0.916 ± 0.220 at seed 0, is the
// published 0.916 ± 0.221). The improved preset's other 20 users average
// 0.978 at window 10: with user 5 at chance the mean would be 0.955, with
// user 5 as it is the others would need 0.995 for 0.95. Under the published split (the first 2/3 of a user's actions
// train) user 5's training part holds no action above highRate events/s;
// from its 345th action on (the 12th of its test part) three quarters of
// its actions are. No other user meets in its test part a regime its
// training part lacks. The check is model-free: scored by the distance to
// its nearest training action, user 5's test actions look less like its
// training than the other users' test actions do (AUC 0.08; the other
// users 0.48 to 0.98, user 19 the lowest of them at chance), so any
// verifier that scores similarity to the user's training data ranks them
// below impostors.
func TestDFL500User5TestPartIsAnotherRegime(t *testing.T) {
	t.Parallel()
	d := readFeatureCSV(t, featuresDir+"dfl_39feat_PC_MM_DD_500.csv")
	col := func(name string) int {
		t.Helper()
		j := slices.Index(d.Names, name)
		if j < 0 {
			t.Fatalf("no column %q in %v", name, d.Names)
		}
		return j
	}
	elapsed, events := col("elapsedTime"), col("numEvents")
	high := func(r int) bool {
		x := d.X[r]
		return x[elapsed] > 0 && x[events]/x[elapsed]*1000 > highRate
	}
	users := d.UserOrder()
	rows := d.RowsByUser()
	share := func(idx []int) float64 {
		var k int
		for _, r := range idx {
			if high(r) {
				k++
			}
		}
		return float64(k) / float64(len(idx))
	}
	split := func(u string) (train, test []int) {
		r := rows[u]
		n := int(float64(len(r)) * 2 / 3)
		return r[:n], r[n:]
	}
	for _, u := range users {
		train, test := split(u)
		tr, te := share(train), share(test)
		t.Logf("user %2s: actions above %d events/s: train %.2f, test %.2f", u, highRate, tr, te)
		switch {
		case u == "5":
			if tr != 0 || te < 0.7 {
				t.Errorf("user 5: high-rate share train %.2f, test %.2f; want 0 and >= 0.7", tr, te)
			}
			first := slices.IndexFunc(rows[u], high)
			if first != 344 {
				t.Errorf("user 5: first high-rate action at %d, want 344 (test part from %d)", first, len(train))
			}
		case tr == 0 && te > 0.05:
			t.Errorf("user %s: high-rate share train 0, test %.2f: a second user meets a regime in testing only", u, te)
		}
	}

	// Model-free similarity: signed log, z-scored over the whole table
	// (no labels), placeholders as 0, duplicate columns dropped.
	c, _ := ReplacePlaceholders(d)
	c, _ = DropDuplicateColumns(c)
	dim := len(c.X[0])
	z := make([][]float64, len(c.X))
	mu, sd := make([]float64, dim), make([]float64, dim)
	for i, x := range c.X {
		z[i] = make([]float64, dim)
		for j, v := range x {
			z[i][j] = math.Copysign(math.Log1p(math.Abs(v)), v)
			mu[j] += z[i][j]
		}
	}
	for j := range mu {
		mu[j] /= float64(len(z))
	}
	for _, x := range z {
		for j, v := range x {
			sd[j] += (v - mu[j]) * (v - mu[j])
		}
	}
	for j := range sd {
		if sd[j] = math.Sqrt(sd[j] / float64(len(z))); sd[j] == 0 {
			sd[j] = 1
		}
	}
	for _, x := range z {
		for j := range x {
			x[j] = (x[j] - mu[j]) / sd[j]
		}
	}
	// Impostors: every other user's test part.
	tests := map[string][]int{}
	for _, u := range users {
		_, tests[u] = split(u)
	}
	for _, u := range users {
		if testutil.Race && u != "5" {
			continue // 21 users take 20 s under the race detector; user 5 is the claim
		}
		train, test := split(u)
		var scores []float64
		var genuine []bool
		for _, v := range users {
			for _, r := range tests[v] {
				best := math.Inf(1)
				for _, q := range train {
					var s float64
					for j, a := range z[r] {
						s += (a - z[q][j]) * (a - z[q][j])
					}
					best = min(best, s)
				}
				scores, genuine = append(scores, -best), append(genuine, v == u)
			}
		}
		_, auc, _, _, err := ComputeROC(scores, genuine)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("user %2s: nearest-training-action AUC %.3f (%d genuine test actions)", u, auc, len(test))
		if u == "5" && auc >= 0.2 {
			t.Errorf("user 5: nearest-training-action AUC %.3f, want < 0.2", auc)
		}
		if u != "5" && auc < 0.4 {
			t.Errorf("user %s: nearest-training-action AUC %.3f, want >= 0.4 (only user 5 is far below chance)", u, auc)
		}
	}
}
