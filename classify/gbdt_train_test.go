package classify

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mouseauth/mouseauth/internal/testutil"
	"github.com/mouseauth/mouseauth/preprocess"
)

// lumpy returns n rows of d features: continuous ones, ones with three
// values or a few small integers (ties in every bin), wide ones, and a
// constant last feature; one row in nine is genuine, as in a training set
// of 8 negatives per positive.
func lumpy(seed uint64, n, d int) ([][]float64, []bool) {
	r := rand.New(rand.NewPCG(seed, 3))
	X, y := make([][]float64, n), make([]bool, n)
	for i := range X {
		y[i] = i%9 == 0
		X[i] = make([]float64, d)
		for j := range X[i] {
			switch j % 4 {
			case 0:
				X[i][j] = r.NormFloat64()
			case 1:
				X[i][j] = float64(r.IntN(3))
			case 2:
				X[i][j] = float64(int(r.ExpFloat64() * 4))
			case 3:
				X[i][j] = r.NormFloat64() * 1e3
			}
		}
		X[i][d-1] = 7
		if y[i] {
			X[i][0] += 0.7
			X[i][1] = float64(r.IntN(2))
		}
	}
	return X, y
}

// fitExact fits with histogram subtraction off: each node's histogram is
// summed from its rows, as the oracle's.
func fitExact(b GBDT, X [][]float64, y []bool, rng *rand.Rand) (*GBDTModel, error) {
	b, err := b.withDefaults()
	if err != nil {
		return nil, err
	}
	g := newBoostGrower(b, binRows(X, b.Bins))
	g.subtract = false
	return b.boostWith(context.Background(), g, y, rng)
}

// TestGBDTMatchesOracle: the fast training grows, bit for bit, the trees
// the training before issue 21 grew (fitOracle), without histogram
// subtraction always and with it on these sets.
func TestGBDTMatchesOracle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    GBDT
		X    [][]float64
		y    []bool
	}{
		{"continuous", GBDT{Rounds: 30}, nil, nil},
		{"ties", GBDT{Rounds: 30}, nil, nil},
		{"ties, 8 bins, deep trees", GBDT{Rounds: 30, Bins: 8, MinLeaf: 1, MaxDepth: 6}, nil, nil},
		{"one bag, all rows and features", GBDT{Rounds: 20, Bags: 1, Subsample: 1, ColSample: 1}, nil, nil},
	} {
		X, y := toy(3, 900, 7, 0.8)
		if tc.name != "continuous" {
			X, y = lumpy(4, 1500, 13)
		}
		want, err := tc.b.fitOracle(context.Background(), X, y, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		exact, err := fitExact(tc.b, X, y, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		fast, err := tc.b.Fit(context.Background(), X, y, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(exact, want) {
			t.Errorf("%s: without subtraction: %d of %d trees differ from the oracle's", tc.name, treesDiffer(exact, want.(*GBDTModel)), len(exact.Trees))
		}
		if !reflect.DeepEqual(fast, want) {
			t.Errorf("%s: %d of %d trees differ from the oracle's", tc.name, treesDiffer(fast.(*GBDTModel), want.(*GBDTModel)), len(exact.Trees))
		}
	}
}

func treesDiffer(a, b *GBDTModel) int {
	n := 0
	for i := range a.Trees {
		if !reflect.DeepEqual(a.Trees[i], b.Trees[i]) {
			n++
		}
	}
	return n
}

// TestGBDTMatchesOracleDFL trains users of DFL-500 as the improved preset
// does (the first two thirds of a user's actions, 8 negatives per
// positive): without histogram subtraction the trees are the oracle's, bit
// for bit. With it a histogram's sums differ from the oracle's in the last
// bits, so where two splits' gains are equal to within rounding the other
// one may be taken (and the trees after it differ a little): the model's
// scores of held-out actions differ from the oracle's by less than half
// what another seed's differ, and its AUC on them by at most 0.005.
func TestGBDTMatchesOracleDFL(t *testing.T) {
	if testing.Short() {
		t.Skip("the oracle trains 600 trees the slow way; skipped with -short")
	}
	testutil.SkipUnderRace(t, "minutes under the race detector, and single-threaded")
	t.Parallel()
	d, err := preprocess.ReadTableFile(testutil.Data(t, "features/dfl_39feat_PC_MM_DD_500.csv"))
	if err != nil {
		t.Fatal(err)
	}
	users, rows := d.UserOrder(), d.RowsByUser()
	r := rand.New(rand.NewPCG(1, 2))
	for _, u := range users[:2] {
		pos := rows[u]
		nTrain := len(pos) * 2 / 3
		var X, test [][]float64
		var y, yTest []bool
		for k, i := range pos {
			if k < nTrain {
				X, y = append(X, d.X[i]), append(y, true)
			} else {
				test, yTest = append(test, d.X[i]), append(yTest, true)
			}
		}
		var others []int
		for _, v := range users {
			if v != u {
				others = append(others, rows[v]...)
			}
		}
		for k, i := range r.Perm(len(others))[:9*nTrain] {
			if k < 8*nTrain {
				X, y = append(X, d.X[others[i]]), append(y, false)
			} else {
				test, yTest = append(test, d.X[others[i]]), append(yTest, false)
			}
		}
		o, err := GBDT{}.fitOracle(context.Background(), X, y, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		want := o.(*GBDTModel)
		exact, err := fitExact(GBDT{}, X, y, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		if n := treesDiffer(exact, want); n > 0 {
			t.Errorf("user %s: without subtraction %d of %d trees differ from the oracle's", u, n, len(want.Trees))
		}
		m, err := GBDT{}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(5, 5)))
		if err != nil {
			t.Fatal(err)
		}
		fast := m.(*GBDTModel)
		first := -1
		for i := range want.Trees {
			if !reflect.DeepEqual(fast.Trees[i], want.Trees[i]) {
				first = i
				break
			}
		}
		// The seed noise: the model of another seed.
		other, err := GBDT{}.Fit(context.Background(), X, y, rand.New(rand.NewPCG(6, 6)))
		if err != nil {
			t.Fatal(err)
		}
		a, b := make([]float64, len(test)), make([]float64, len(test))
		var mean, noise float64
		for i, x := range test {
			a[i], b[i] = fast.Score(x), want.Score(x)
			mean += math.Abs(a[i]-b[i]) / float64(len(test))
			noise += math.Abs(a[i]-other.Score(x)) / float64(len(test))
		}
		aucA, aucB := auc(a, yTest), auc(b, yTest)
		t.Logf("user %s: %d of %d trees differ (the first: %d); held-out scores differ by %.2g on average (another seed: %.2g), AUC %.4f against the oracle's %.4f",
			u, treesDiffer(fast, want), len(want.Trees), first, mean, noise, aucA, aucB)
		if math.Abs(aucA-aucB) > 0.005 || mean > noise/2 {
			t.Errorf("user %s: held-out AUC %.4f, the oracle's %.4f; scores differ by %.3f on average, another seed's by %.3f", u, aucA, aucB, mean, noise)
		}
	}
}

// TestGBDTFitRowsEqualsFit: a model fitted on rows of a prepared table,
// and on extra rows given as values, is the model fitted on the same rows.
func TestGBDTFitRowsEqualsFit(t *testing.T) {
	t.Parallel()
	X, _ := lumpy(11, 3000, 13)
	r := rand.New(rand.NewPCG(3, 3))
	for i := range X {
		// Values a cut equals (the only float32 in [k, k+1e-9) is k: a
		// value on a cut goes left), and negative zeros beside zeros.
		X[i][3] = float64(r.IntN(20)) + 1e-9*float64(r.IntN(2))
		if i%7 == 0 {
			X[i][2] = math.Copysign(0, -1)
		}
	}
	tab, err := GBDT{}.Prepare(X)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []GBDT{{Rounds: 20}, {Rounds: 10, Bins: 16, Bags: 2}} {
		rows := r.Perm(len(X))[:900]
		sub := make([][]float64, len(rows))
		y := make([]bool, len(rows))
		for k, i := range rows {
			sub[k], y[k] = X[i], k%5 == 0
		}
		var own [][]float64
		for k, row := range sub {
			if y[k] {
				own = append(own, row)
			}
		}
		// Extra rows: the table's values (ties with its rows), zeros of
		// either sign, values below and above every row's, and background
		// negatives as an evaluation draws them.
		var mixed [][]float64
		for k := range 150 {
			row := slices.Clone(X[r.IntN(len(X))])
			switch k % 5 {
			case 1:
				row[2] = 0
			case 2:
				row[2] = math.Copysign(0, -1)
			case 3:
				for j := range row {
					row[j] = -1e9
				}
			case 4:
				row[0], row[5] = 1e12, r.NormFloat64()
			}
			mixed = append(mixed, row)
		}
		for _, ex := range []struct {
			name  string
			extra [][]float64
		}{
			{"no extra rows", nil},
			{"mixed extra rows", mixed},
			{"background negatives", BackgroundRows(own, sub, nil, len(own), rand.New(rand.NewPCG(4, 4)))},
		} {
			all := append(slices.Clone(sub), ex.extra...)
			ya := append(slices.Clone(y), make([]bool, len(ex.extra))...)
			want, err := b.Fit(context.Background(), all, ya, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.FitRows(context.Background(), tab, rows, ex.extra, ya, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v, %s: the model fitted on the table's rows differs from the one fitted on the rows", b, ex.name)
			}
		}
	}
}

// TestGBDTFitRowsBackgroundDFL: on DFL-500 users' training sets as the
// improved preset draws them (8 negatives per positive, one background
// negative per positive), FitRows on the prepared table with the
// background negatives as extra rows is Fit on the same rows, model and
// scores.
func TestGBDTFitRowsBackgroundDFL(t *testing.T) {
	t.Parallel()
	testutil.SkipUnderRace(t, "trains gbdt for three users of DFL-500")
	d, err := preprocess.ReadTableFile(testutil.Data(t, "features/dfl_39feat_PC_MM_DD_500.csv"))
	if err != nil {
		t.Fatal(err)
	}
	tab, err := GBDT{}.Prepare(d.X)
	if err != nil {
		t.Fatal(err)
	}
	users, byUser := d.UserOrder(), d.RowsByUser()
	r := rand.New(rand.NewPCG(7, 7))
	for _, u := range users[:3] {
		pos := byUser[u]
		nTrain := len(pos) * 2 / 3
		var others []int
		for _, v := range users {
			if v != u {
				others = append(others, byUser[v]...)
			}
		}
		rows := slices.Clone(pos[:nTrain])
		for _, k := range r.Perm(len(others))[:ImprovedNegativeRatio*nTrain] {
			rows = append(rows, others[k])
		}
		X := make([][]float64, len(rows))
		y := make([]bool, len(rows))
		for k, i := range rows {
			X[k], y[k] = d.X[i], k < nTrain
		}
		bg := BackgroundRows(X[:nTrain], X, nil, ImprovedBackground*nTrain, rand.New(rand.NewPCG(8, 8)))
		y = append(y, make([]bool, len(bg))...)
		b := GBDT{Rounds: 30}
		want, err := b.Fit(context.Background(), append(X, bg...), y, rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := b.FitRows(context.Background(), tab, rows, bg, y, rand.New(rand.NewPCG(9, 9)))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("user %s: the model fitted on the table's rows and %d background negatives differs from Fit's", u, len(bg))
		}
		for _, i := range pos[nTrain:] {
			if a, b := got.Score(d.X[i]), want.Score(d.X[i]); a != b {
				t.Fatalf("user %s row %d: scored %v, Fit's model %v", u, i, a, b)
			}
		}
	}
}

// TestGBDTFitRowsRefuses: bad tables and row lists are errors that say
// what is wrong.
func TestGBDTFitRowsRefuses(t *testing.T) {
	t.Parallel()
	X, _ := lumpy(12, 50, 4)
	for _, tc := range []struct {
		name string
		X    [][]float64
		want string
	}{
		{"empty", nil, "empty table"},
		{"ragged", [][]float64{{1, 2}, {3}}, "row 1 has 1 values, want 2"},
		{"NaN", [][]float64{{1, 2}, {3, math.NaN()}}, "row 1 feature 1 is NaN"},
	} {
		if _, err := (GBDT{}).Prepare(tc.X); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Prepare %s: %v, want %q", tc.name, err, tc.want)
		}
	}
	tab, err := GBDT{}.Prepare(X)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		rows    []int
		genuine []bool
		want    string
		extra   [][]float64
	}{
		{"row twice", []int{1, 2, 1}, []bool{true, false, false}, "row 1 is drawn twice", nil},
		{"row outside", []int{1, 50}, []bool{true, false}, "row 50 of a table of 50", nil},
		{"negative row", []int{-1, 2}, []bool{true, false}, "row -1 of a table of 50", nil},
		{"labels", []int{1, 2}, []bool{true}, "2 rows, 1 labels", nil},
		{"one class", []int{1, 2}, []bool{true, true}, "single class", nil},
		{"extra labels", []int{1, 2}, []bool{true, false}, "3 rows, 2 labels", [][]float64{X[3]}},
		{"extra width", []int{1, 2}, []bool{true, false, false}, "training row 2 has 3 values, want 4", [][]float64{{1, 2, 3}}},
		{"extra NaN", []int{1, 2}, []bool{true, false, false, false}, "training row 3 feature 1 is NaN", [][]float64{X[3], {1, math.NaN(), 3, 4}}},
		{"extra Inf", nil, []bool{false}, "training row 0 feature 0 is -Inf", [][]float64{{math.Inf(-1), 0, 0, 0}}},
		{"extra one class", nil, []bool{false, false}, "single class", [][]float64{X[3], X[4]}},
	} {
		if _, err := (GBDT{Rounds: 2}).FitRows(context.Background(), tab, tc.rows, tc.extra, tc.genuine, rand.New(rand.NewPCG(1, 1))); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("FitRows %s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// benchFit times fit of X, y with the default settings and a fixed seed:
// ns/op, cpu-ns/op (steadier on a busy machine) and allocations.
func benchFit(b *testing.B, X [][]float64, y []bool, fit func(context.Context, [][]float64, []bool, *rand.Rand) (Model, error)) {
	b.ReportAllocs()
	defer testutil.StartCPU(b)()
	for b.Loop() {
		if _, err := fit(context.Background(), X, y, rand.New(rand.NewPCG(1, 1))); err != nil {
			b.Fatal(err)
		}
	}
}

// fitSet is one user's improved-preset training set in shape: DFL-500's
// 333 genuine training actions, 8 negatives per positive, 37 features.
func fitSet() ([][]float64, []bool) { return lumpy(9, 2997, 37) }

// BenchmarkGBDTFit times one fit with the default settings (3 bags of 200
// rounds) on a DFL-500-sized training set: ns/op and cpu-ns/op (steadier
// on a busy machine) at -cpu 1, allocations.
func BenchmarkGBDTFit(b *testing.B) {
	X, y := fitSet()
	benchFit(b, X, y, GBDT{}.Fit)
}

// BenchmarkGBDTFitOracle times the same fit the way gbdt trained before
// issue 21 (fitOracle): run beside BenchmarkGBDTFit, the ratio of the two
// is the speed-up measured on one machine at one time.
func BenchmarkGBDTFitOracle(b *testing.B) {
	X, y := fitSet()
	benchFit(b, X, y, GBDT{}.fitOracle)
}

// BenchmarkGBDTFitDFL times one fit with the default settings on a real
// user's improved-preset training set: DFL-500's first user, the first two
// thirds of its actions and 8 negatives per positive drawn from the other
// users (real features have ties and dominant values, which the synthetic
// sets of BenchmarkGBDTFit lack). cpu-ns/op is steadier on a busy machine.
func BenchmarkGBDTFitDFL(b *testing.B) {
	d, err := preprocess.ReadTableFile(testutil.Data(b, "features/dfl_39feat_PC_MM_DD_500.csv"))
	if err != nil {
		b.Fatal(err)
	}
	users, rows := d.UserOrder(), d.RowsByUser()
	r := rand.New(rand.NewPCG(1, 2))
	u := users[0]
	nTrain := len(rows[u]) * 2 / 3
	var X [][]float64
	var y []bool
	for _, i := range rows[u][:nTrain] {
		X, y = append(X, d.X[i]), append(y, true)
	}
	var others []int
	for _, v := range users[1:] {
		others = append(others, rows[v]...)
	}
	for _, i := range r.Perm(len(others))[:8*nTrain] {
		X, y = append(X, d.X[others[i]]), append(y, false)
	}
	benchFit(b, X, y, GBDT{}.Fit)
}

// TestAddRows4: addRows4 (in assembly where the CPU has AVX) sums the
// same histograms as addRows4Go, bit for bit: each bin's rows added in row
// order, hot bins (many rows in a row) and every bin index included.
func TestAddRows4(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 7))
	const n = 1000
	for _, nRows := range []int{0, 1, 7, 600, n} {
		cols := make([][]uint8, 4)
		for i := range cols {
			cols[i] = make([]uint8, n)
			for k := range cols[i] {
				switch i {
				case 0: // every index
					cols[i][k] = uint8(r.IntN(256))
				case 1: // one hot bin
					if r.IntN(5) > 0 {
						cols[i][k] = 3
					} else {
						cols[i][k] = uint8(r.IntN(64))
					}
				default:
					cols[i][k] = uint8(r.IntN(1 + 60*i))
				}
			}
		}
		rows := make([]int32, nRows)
		for k, p := range r.Perm(n)[:nRows] {
			rows[k] = int32(p)
		}
		gh := make([]histBin, nRows)
		for k := range gh {
			gh[k] = histBin{g: r.NormFloat64(), h: r.Float64() / 4, n: 1}
		}
		var want, got [4][256]histBin
		addRows4Go(&want[0], &want[1], &want[2], &want[3], cols[0], cols[1], cols[2], cols[3], rows, gh)
		addRows4(&got[0], &got[1], &got[2], &got[3], cols[0], cols[1], cols[2], cols[3], rows, gh)
		if got != want {
			t.Errorf("%d rows: addRows4's histograms differ from addRows4Go's", nRows)
		}
		total := 0.0
		for _, e := range want[0] {
			total += e.n
		}
		if total != float64(nRows) {
			t.Errorf("%d rows: the bins count %v", nRows, total)
		}
	}
}

// TestSubBins: subBins (in assembly where the CPU has AVX) leaves the
// bins subBinsGo leaves, bit for bit; a bin left with no rows holds sums of
// 0 whatever rounding left.
func TestSubBins(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 8))
	for _, n := range []int{0, 1, 3, 64, 255} {
		h, o := make([]histBin, n), make([]histBin, n)
		for k := range h {
			c := float64(r.IntN(4))
			h[k] = histBin{g: r.NormFloat64(), h: r.Float64(), n: c + float64(r.IntN(2))}
			o[k] = histBin{g: r.NormFloat64(), h: r.Float64(), n: c}
		}
		want, got := slices.Clone(h), slices.Clone(h)
		subBinsGo(want, o)
		subBins(got, o)
		if !slices.Equal(got, want) {
			t.Errorf("%d bins: subBins differs from subBinsGo", n)
		}
		for k, e := range got {
			if e.n == 0 && (e.g != 0 || e.h != 0) {
				t.Errorf("%d bins: bin %d has no rows and sums %v, %v", n, k, e.g, e.h)
			}
		}
	}
}

// TestNextCandidate: nextCandidate (four bins at once where the CPU has
// AVX) returns the bin nextCandidateGo returns, near ties included.
func TestNextCandidate(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 9))
	for trial := range 2000 {
		n := r.IntN(70)
		cg, ch := make([]float64, n), make([]float64, n)
		G, H := r.NormFloat64()*10, 1+r.Float64()*50
		for k := range cg {
			cg[k], ch[k] = G*r.Float64(), H*r.Float64()
		}
		lambda := 1.0
		// bar at the gain test's value of one bin, so that bins tie with it.
		bar := 0.0
		if n > 0 {
			k := r.IntN(n)
			gl, hl := cg[k], ch[k]
			dl, dr := hl+lambda, H-hl+lambda
			bar = (gl*gl*dr + (G-gl)*(G-gl)*dl) / (dl * dr)
		}
		if got, want := nextCandidate(cg, ch, G, H, lambda, bar), nextCandidateGo(cg, ch, G, H, lambda, bar); got != want {
			t.Fatalf("trial %d (%d bins): nextCandidate %d, nextCandidateGo %d", trial, n, got, want)
		}
	}
}

// TestLossGradients: lossGradients (four rows at once where the CPU has
// AVX2 and FMA) sets the gradients and hessians lossGradientsGo sets, bit
// for bit, over log-odds of every scale, math.Exp's edge cases among them.
func TestLossGradients(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(10, 10))
	const n = 4099
	f, y := make([]float64, n), make([]float64, n)
	for i := range f {
		switch i % 7 {
		case 0:
			f[i] = r.NormFloat64() * 1000 // beyond ±700 and ±709.78 too
		case 1:
			f[i] = []float64{700, -700, 709.8, -745.2, 1e-300, math.Copysign(0, -1), 0, math.Inf(1), math.Inf(-1), math.NaN(), 36.7, -36.7}[r.IntN(12)]
		default:
			f[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(5)-2))
		}
		y[i] = float64(r.IntN(2))
	}
	for _, m := range []int{0, 3, 4, 5, 1024, n} {
		rows := make([]int32, m)
		for k, p := range r.Perm(n)[:m] {
			rows[k] = int32(p)
		}
		want, got := make([]histBin, n), make([]histBin, n)
		lossGradientsGo(want, f, y, rows)
		lossGradients(got, f, y, rows)
		for i := range want {
			if math.Float64bits(got[i].g) != math.Float64bits(want[i].g) || math.Float64bits(got[i].h) != math.Float64bits(want[i].h) {
				t.Fatalf("%d rows: row %d (log-odds %v): gradient, hessian %v, %v; lossGradientsGo's %v, %v", m, i, f[i], got[i].g, got[i].h, want[i].g, want[i].h)
			}
		}
	}
}
