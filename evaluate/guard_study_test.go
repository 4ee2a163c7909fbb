package evaluate

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// TestGuardStudy measures the options of the model's guard (issue 18, item
// 3) on DFL-500 and Balabit-1000 under the reference protocol with the
// improved preset, seeds 0-9: the genuine cost (AUC change at windows 1
// and 10, share of genuine test actions flagged) and the success of crafted
// vectors, for
//
//	base    the classifier alone (physical bounds only)
//	range   + the user's range
//	(a)     + range, classifier trained with background negatives
//	(b)     + range, k-NN novelty gate
//	(c)     + range, gate and background negatives
//
// It takes about an hour on two cores; run it with
//
//	MOUSEAUTH_GUARD_STUDY=1 go test ./evaluate -run TestGuardStudy -v -timeout 3h
//
// and MOUSEAUTH_GUARD_STUDY_SEEDS=3 for fewer seeds. Its output is the
// table in docs/guard.md.
func TestGuardStudy(t *testing.T) {
	if os.Getenv("MOUSEAUTH_GUARD_STUDY") == "" {
		t.Skip("the guard study trains 2 x 10 evaluations; set MOUSEAUTH_GUARD_STUDY=1 to run it")
	}
	seeds := 10
	if s := os.Getenv("MOUSEAUTH_GUARD_STUDY_SEEDS"); s != "" {
		fmt.Sscan(s, &seeds)
	}
	for _, file := range []string{"dfl_39feat_PC_MM_DD_500.csv", "balabit_39feat_PC_MM_DD_1000.csv"} {
		d := readFeatureCSV(t, featuresDir+file)
		st := runGuardStudy(t, d, seeds)
		var b strings.Builder
		st.report(&b, file)
		t.Log("\n" + b.String())
		if out := os.Getenv("MOUSEAUTH_GUARD_STUDY_OUT"); out != "" {
			f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err == nil {
				fmt.Fprint(f, b.String())
				f.Close()
			}
		}
	}
}

// Study settings: the grids measured beside the chosen values.
var (
	studyMargins   = []float64{0, 0.5, 1, 1.5, 2}
	studyK         = []int{1, 5, 10}
	studyQuantiles = []float64{0.99, 0.995, 0.999}
	// The defaults of the main table.
	studyMargin, studyKi, studyQi = 4, 1, 1 // margin 2, k 5, q 0.995
)

// attack sets, in report order.
var attackNames = []string{"constant", "uniform box", "uniform box, projected", "victim mean", "victim mean, projected",
	"others' means", "others' means, projected", "others' medians", "zero-effort impostors"}

const (
	setGenuine = iota
	setImpostor
	setAttack // first attack set
)

// vecs are the per-vector results of one set of vectors for one user and
// seed.
type vecs struct {
	base, bg []float64
	phys     []bool
	inRange  [][]bool    // per margin
	dist     [][]float64 // per k: k-th NN distance
	maha     []float64   // Mahalanobis distance over its threshold
}

type userSeed struct {
	user   string
	seed   int
	sets   []vecs      // setGenuine, setImpostor, then the attacks
	thresh [][]float64 // per k, per quantile: the LOO threshold
}

type guardStudy struct {
	seeds int
	runs  []userSeed
}

// studyGuard is one user's guard at every setting of the grids.
type studyGuard struct {
	ranges []*classify.Range     // per margin
	nov    [][]*classify.Novelty // per k, per quantile
	maha   *gauss
}

func runGuardStudy(t *testing.T, d0 *preprocess.Table, seeds int) *guardStudy {
	names := d0.Names
	d, _ := ReplacePlaceholders(d0)
	d.Names = names
	if d2, dropped := DropDuplicateColumns(d); len(dropped) > 0 {
		var kept []string
		for j, n := range names {
			if !slices.Contains(dropped, j) {
				kept = append(kept, n)
			}
		}
		d2.Names = kept
		d = d2
	}
	bounds := ModelBounds(d.Names, d0.Extractor, d0.Convention)
	t.Logf("%d rows, %d features, physical bounds: %v", len(d.X), len(d.Names), bounds != nil)
	// The attacker's box and what the data say about whole numbers: the
	// physical bounds (where known) and the range of all users' rows;
	// features whose every value is a whole number (or one of at most 8
	// values) are kept so by the projection.
	att := dataBounds(d.X, bounds)
	boxLo, boxHi := classify.Box(d.X, bounds)

	users := d.UserOrder()
	rows := d.RowsByUser()
	means, medians := map[string][]float64{}, map[string][]float64{}
	guards := map[string]*studyGuard{}
	for _, u := range users {
		var X [][]float64
		for _, r := range rows[u] {
			X = append(X, d.X[r])
		}
		means[u], medians[u] = meanOf(X), medianOf(X)
		// Guards are seed-independent: the training rows are the
		// chronological first 2/3.
		own := X[:int(float64(len(X))*2/3)]
		g := &studyGuard{}
		for _, m := range studyMargins {
			r, err := classify.FitRange(own, m, bounds)
			if err != nil {
				t.Fatal(err)
			}
			g.ranges = append(g.ranges, r)
		}
		for _, k := range studyK {
			var per []*classify.Novelty
			for _, q := range studyQuantiles {
				n, err := classify.FitNovelty(own, classify.NoveltySettings{K: k, Quantile: q}, rand.New(rand.NewPCG(1, 2)))
				if err != nil {
					t.Fatal(err)
				}
				per = append(per, n)
			}
			g.nov = append(g.nov, per)
		}
		g.maha = fitGauss(own, g.nov[0][0], studyQuantiles[studyQi])
		guards[u] = g
	}
	gbdt, err := classify.New("gbdt", nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &guardStudy{seeds: seeds}
	for seed := range seeds {
		t0 := time.Now()
		master := rand.New(rand.NewPCG(uint64(seed), 0x6d6f757365617574))
		pcg := make([][2]uint64, len(users))
		for i := range pcg {
			pcg[i] = [2]uint64{master.Uint64(), master.Uint64()}
		}
		out := make([]userSeed, len(users))
		errs := make([]error, len(users))
		sem := make(chan struct{}, 2)
		done := make(chan struct{})
		for i, u := range users {
			go func() {
				sem <- struct{}{}
				defer func() { <-sem; done <- struct{}{} }()
				out[i], errs[i] = studyUser(d, users, rows, i, seed, pcg[i], gbdt, bounds, att, boxLo, boxHi, means, medians, guards[u])
			}()
		}
		for range users {
			<-done
		}
		for i, err := range errs {
			if err != nil {
				t.Fatalf("seed %d user %s: %v", seed, users[i], err)
			}
		}
		st.runs = append(st.runs, out...)
		t.Logf("seed %d: %d users in %s", seed, len(users), time.Since(t0).Round(time.Second))
	}
	return st
}

// studyUser trains user i's two classifiers (as scoreUser does, and with
// background negatives) and scores the genuine, impostor and attack sets.
func studyUser(d *preprocess.Table, users []string, rows map[string][]int, i, seed int, pcg [2]uint64, gbdt classify.Classifier,
	bounds, att *classify.Bounds, boxLo, boxHi []float64, means, medians map[string][]float64, g *studyGuard) (userSeed, error) {
	u := users[i]
	pos := rows[u]
	nTrain := int(float64(len(pos)) * 2 / 3)
	nTest := len(pos) - nTrain
	var pool []int
	for _, v := range users {
		if v != u {
			pool = append(pool, rows[v]...)
		}
	}
	nNeg := max(nTrain, min(nTrain*ImprovedNegativeRatio, len(pool)-nTest))
	var own [][]float64
	for _, r := range pos[:nTrain] {
		own = append(own, d.X[r])
	}
	fit := func(background bool) (classify.Model, []int, error) {
		// The same stream as scoreUser: the draw, then the fit.
		rng := rand.New(rand.NewPCG(pcg[0], pcg[1]))
		drawn := draw(rng, pool, nNeg+nTest)
		X := slices.Clone(own)
		y := make([]bool, len(own))
		for k := range y {
			y[k] = true
		}
		for _, r := range drawn[:nNeg] {
			X, y = append(X, d.X[r]), append(y, false)
		}
		if background {
			// As scoreUser draws them (Options.Background).
			bgRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
			for _, x := range classify.BackgroundRows(own, X, bounds, nTrain*int(classify.ImprovedBackground), bgRng) {
				X, y = append(X, x), append(y, false)
			}
		}
		m, err := gbdt.Fit(context.Background(), X, y, rng)
		return m, drawn[nNeg:], err
	}
	mBase, impTest, err := fit(false)
	if err != nil {
		return userSeed{}, err
	}
	mBg, _, err := fit(true)
	if err != nil {
		return userSeed{}, err
	}
	arng := rand.New(rand.NewPCG(uint64(seed)*7919+uint64(i), 0xa77))
	sets := make([][][]float64, setAttack+len(attackNames)-1)
	for _, r := range pos[nTrain:] {
		sets[setGenuine] = append(sets[setGenuine], d.X[r])
	}
	for _, r := range impTest {
		sets[setImpostor] = append(sets[setImpostor], d.X[r])
	}
	width := len(d.Names)
	for _, c := range []float64{-1e9, -1, 0, 0.5, 1, 2, 3, 4, 10, 1e3, 1e9} {
		x := make([]float64, width)
		for j := range x {
			x[j] = c
		}
		sets[setAttack] = append(sets[setAttack], x)
	}
	for range 200 {
		x := make([]float64, width)
		for j := range x {
			x[j] = boxLo[j] + arng.Float64()*(boxHi[j]-boxLo[j])
		}
		sets[setAttack+1] = append(sets[setAttack+1], x)
		p := slices.Clone(x)
		att.Project(p)
		sets[setAttack+2] = append(sets[setAttack+2], p)
	}
	m := meanOf(own)
	sets[setAttack+3] = [][]float64{m}
	mp := slices.Clone(m)
	att.Project(mp)
	sets[setAttack+4] = [][]float64{mp}
	for _, v := range users {
		if v == u {
			continue
		}
		sets[setAttack+5] = append(sets[setAttack+5], means[v])
		p := slices.Clone(means[v])
		att.Project(p)
		sets[setAttack+6] = append(sets[setAttack+6], p)
		sets[setAttack+7] = append(sets[setAttack+7], medians[v])
	}
	sets = append(sets[:setAttack+8], sets[setImpostor]) // zero-effort: the impostor test actions
	us := userSeed{user: u, seed: seed, thresh: make([][]float64, len(studyK))}
	for ki := range studyK {
		for qi := range studyQuantiles {
			us.thresh[ki] = append(us.thresh[ki], g.nov[ki][qi].Threshold)
		}
	}
	for _, s := range sets {
		v := vecs{inRange: make([][]bool, len(studyMargins)), dist: make([][]float64, len(studyK))}
		for _, x := range s {
			v.base = append(v.base, mBase.Score(x))
			v.bg = append(v.bg, mBg.Score(x))
			ok := true
			if bounds != nil {
				ok, _ = bounds.Check(x, d.Names)
			}
			v.phys = append(v.phys, ok)
			for mi, r := range g.ranges {
				in := true
				for j, xv := range x {
					if xv < r.Lo[j] || xv > r.Hi[j] {
						in = false
						break
					}
				}
				v.inRange[mi] = append(v.inRange[mi], in)
			}
			for ki := range studyK {
				n := g.nov[ki][0]
				v.dist[ki] = append(v.dist[ki], n.Score(x)*n.Threshold)
			}
			v.maha = append(v.maha, g.maha.score(x))
		}
		us.sets = append(us.sets, v)
	}
	return us, nil
}

// dataBounds returns what an attacker reads off the data (and the physical
// bounds, where known): the box of all rows, whole numbers where every
// value is one, the values of a feature with at most 8 of them.
func dataBounds(X [][]float64, phys *classify.Bounds) *classify.Bounds {
	lo, hi := classify.Box(X, phys)
	b := &classify.Bounds{Lo: lo, Hi: hi}
	if phys != nil {
		b.Relations, b.Tol = phys.Relations, phys.Tol
	}
	for j := range lo {
		whole := true
		vals := map[float64]bool{}
		for _, r := range X {
			if r[j] != math.Trunc(r[j]) {
				whole = false
			}
			if len(vals) <= 8 {
				vals[r[j]] = true
			}
		}
		if whole {
			b.Integral = append(b.Integral, j)
		}
		if len(vals) <= 8 {
			var vs []float64
			for v := range vals {
				vs = append(vs, v)
			}
			sort.Float64s(vs)
			b.Values = append(b.Values, classify.Allowed{Feature: j, Values: vs})
		}
	}
	return b
}

// medianOf is the lower median of each column: a value some row has.
func medianOf(X [][]float64) []float64 {
	m := make([]float64, len(X[0]))
	col := make([]float64, len(X))
	for j := range m {
		for i, r := range X {
			col[i] = r[j]
		}
		sort.Float64s(col)
		m[j] = col[(len(col)-1)/2]
	}
	return m
}

// gauss is a Gaussian novelty detector for comparison: the Mahalanobis
// distance in the k-NN gate's standardized space, covariance shrunk
// towards its diagonal (0.2), threshold at the quantile of the training
// rows' own distances.
type gauss struct {
	n      *classify.Novelty
	mean   []float64
	prec   *mat.SymDense
	thresh float64
}

func (g *gauss) z(x []float64) []float64 {
	z := make([]float64, len(x))
	for j, v := range x {
		z[j] = (math.Asinh(v/g.n.Scale[j]) - g.n.Center[j]) / g.n.Spread[j]
	}
	return z
}

func fitGauss(own [][]float64, n *classify.Novelty, q float64) *gauss {
	g := &gauss{n: n}
	Z := make([][]float64, len(own))
	for i, r := range own {
		Z[i] = g.z(r)
	}
	d := len(own[0])
	g.mean = meanOf(Z)
	cov := mat.NewSymDense(d, nil)
	for a := range d {
		for b := a; b < d; b++ {
			var s float64
			for _, z := range Z {
				s += (z[a] - g.mean[a]) * (z[b] - g.mean[b])
			}
			s /= float64(len(Z) - 1)
			if a != b {
				s *= 0.8
			}
			cov.SetSym(a, b, s)
		}
		cov.SetSym(a, a, cov.At(a, a)+1e-6)
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		panic("covariance not positive definite")
	}
	g.prec = mat.NewSymDense(d, nil)
	if err := ch.InverseTo(g.prec); err != nil {
		panic(err)
	}
	g.thresh = 1
	var ds []float64
	for _, r := range own {
		ds = append(ds, g.score(r))
	}
	sort.Float64s(ds)
	g.thresh = ds[int(q*float64(len(ds)-1))]
	return g
}

func (g *gauss) score(x []float64) float64 {
	z := g.z(x)
	for j := range z {
		z[j] -= g.mean[j]
	}
	v := mat.NewVecDense(len(z), z)
	var pz mat.VecDense
	pz.MulVec(g.prec, v)
	return math.Sqrt(math.Max(0, mat.Dot(v, &pz))) / g.thresh
}

// option is one guard configuration of the report.
type option struct {
	name   string
	bg     bool // classifier with background negatives
	margin int  // index into studyMargins; -1 none
	k, q   int  // novelty gate; k = -1 none
	maha   bool // the Gaussian gate instead
}

// flags reports, per vector of set s, whether o refuses it before the
// classifier (implausible or novel), and the classifier's scores.
func (o option) flags(us *userSeed, s int) (flag []bool, score []float64) {
	v := &us.sets[s]
	score = v.base
	if o.bg {
		score = v.bg
	}

	flag = make([]bool, len(score))
	for i := range score {
		f := !v.phys[i]
		if o.margin >= 0 && !v.inRange[o.margin][i] {
			f = true
		}
		if o.k >= 0 && v.dist[o.k][i] > us.thresh[o.k][o.q] {
			f = true
		}
		if o.maha && v.maha[i] > 1 {
			f = true
		}
		flag[i] = f
	}
	return flag, score
}

// auc returns the AUC of user run us at window w under o: a flagged
// action scores 0 (it counts against its window).
func (o option) auc(us *userSeed, w int) float64 {
	gated := func(s int) []float64 {
		flag, score := o.flags(us, s)
		out := slices.Clone(score)
		for i, f := range flag {
			if f {
				out[i] = 0
			}
		}
		return out
	}
	gw := Windows(gated(setGenuine), w, AggLogOdds)
	iw := Windows(gated(setImpostor), w, AggLogOdds)
	scores := append(slices.Clone(gw), iw...)
	lab := make([]bool, len(scores))
	for i := range gw {
		lab[i] = true
	}
	_, a, _, _, err := ComputeROC(scores, lab)
	if err != nil {
		return math.NaN()
	}
	return a
}

// accepted is the share of set s's vectors o accepts: not flagged and
// scored above 0.5.
func (o option) accepted(us *userSeed, s int) float64 {
	flag, score := o.flags(us, s)
	n := 0
	for i := range flag {
		if !flag[i] && score[i] > 0.5 {
			n++
		}
	}
	return float64(n) / float64(len(flag))
}

func (o option) flagged(us *userSeed, s int) float64 {
	flag, _ := o.flags(us, s)
	n := 0
	for _, f := range flag {
		if f {
			n++
		}
	}
	return float64(n) / float64(len(flag))
}

// perSeed averages f over users, one value per seed.
func (st *guardStudy) perSeed(f func(*userSeed) float64) []float64 {
	sum, n := make([]float64, st.seeds), make([]int, st.seeds)
	for i := range st.runs {
		us := &st.runs[i]
		if v := f(us); !math.IsNaN(v) {
			sum[us.seed] += v
			n[us.seed]++
		}
	}
	for s := range sum {
		sum[s] /= float64(n[s])
	}
	return sum
}

func meanSD(xs []float64) (float64, float64) {
	var m float64
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	if len(xs) > 1 {
		v /= float64(len(xs) - 1)
	}
	return m, math.Sqrt(v)
}

// pairedCI is the mean over users and seeds of f(option) - f(base) and a
// 95% interval from a two-level bootstrap: users resampled, then each
// user's seeds.
func (st *guardStudy) pairedCI(f func(*userSeed) float64) (mean, lo, hi float64) {
	byUser := map[string][]float64{}
	var order []string
	for i := range st.runs {
		us := &st.runs[i]
		if _, ok := byUser[us.user]; !ok {
			order = append(order, us.user)
		}
		if v := f(us); !math.IsNaN(v) {
			byUser[us.user] = append(byUser[us.user], v)
		}
	}
	var all []float64
	for _, u := range order {
		all = append(all, byUser[u]...)
	}
	mean, _ = meanSD(all)
	rng := rand.New(rand.NewPCG(18, 3))
	const reps = 2000
	boot := make([]float64, reps)
	for b := range reps {
		var s float64
		var n int
		for range order {
			vs := byUser[order[rng.IntN(len(order))]]
			for range vs {
				s += vs[rng.IntN(len(vs))]
				n++
			}
		}
		boot[b] = s / float64(n)
	}
	sort.Float64s(boot)
	return mean, boot[reps*25/1000], boot[reps*975/1000]
}

func (st *guardStudy) report(w *strings.Builder, file string) {
	base := option{name: "base", margin: -1, k: -1}
	withRange := option{name: "+range", margin: studyMargin, k: -1}
	optA := option{name: "(a) bg", bg: true, margin: studyMargin, k: -1}
	optB := option{name: "(b) knn", margin: studyMargin, k: studyKi, q: studyQi}
	optC := option{name: "(c) both", bg: true, margin: studyMargin, k: studyKi, q: studyQi}
	optG := option{name: "gauss", margin: studyMargin, k: -1, maha: true}
	opts := []option{base, withRange, optA, optB, optC, optG}
	fmt.Fprintf(w, "\n## %s, seeds 0-%d, range margin %v, k-NN k=%d q=%v\n\n", file, st.seeds-1, studyMargins[studyMargin], studyK[studyKi], studyQuantiles[studyQi])
	fmt.Fprintf(w, "| metric |")
	for _, o := range opts {
		fmt.Fprintf(w, " %s |", o.name)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---|", len(opts)))
	for _, win := range []int{1, 10} {
		fmt.Fprintf(w, "| AUC w%d (mean ± sd over seeds) |", win)
		for _, o := range opts {
			m, sd := meanSD(st.perSeed(func(us *userSeed) float64 { return o.auc(us, win) }))
			fmt.Fprintf(w, " %.4f ± %.4f |", m, sd)
		}
		fmt.Fprintf(w, "\n| ΔAUC w%d vs base [95%% CI users x seeds] |", win)
		for _, o := range opts {
			m, lo, hi := st.pairedCI(func(us *userSeed) float64 { return o.auc(us, win) - base.auc(us, win) })
			fmt.Fprintf(w, " %+.4f [%+.4f, %+.4f] |", m, lo, hi)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "| accepted: genuine test actions |")
	for _, o := range opts {
		m, sd := meanSD(st.perSeed(func(us *userSeed) float64 { return o.accepted(us, setGenuine) }))
		fmt.Fprintf(w, " %.4f ± %.4f |", m, sd)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| genuine test actions flagged |")
	for _, o := range opts {
		m, sd := meanSD(st.perSeed(func(us *userSeed) float64 { return o.flagged(us, setGenuine) }))
		fmt.Fprintf(w, " %.4f ± %.4f |", m, sd)
	}
	fmt.Fprintln(w)
	for a, name := range attackNames {
		fmt.Fprintf(w, "| accepted: %s |", name)
		for _, o := range opts {
			m, sd := meanSD(st.perSeed(func(us *userSeed) float64 { return o.accepted(us, setAttack+a) }))
			fmt.Fprintf(w, " %.4f ± %.4f |", m, sd)
		}
		fmt.Fprintln(w)
	}
	// The grids: genuine flagged and attacks accepted by range margin, and
	// by k and quantile of the gate (with the chosen margin).
	fmt.Fprintf(w, "\nRange margin (no gate, base classifier): genuine flagged | accepted uniform projected | victim mean projected | others' medians | zero-effort\n\n")
	for mi, m := range studyMargins {
		o := option{margin: mi, k: -1}
		fmt.Fprintf(w, "- margin %v:", m)
		for _, s := range []int{setGenuine, setAttack + 2, setAttack + 4, setAttack + 7, setAttack + 8} {
			v, _ := meanSD(st.perSeed(func(us *userSeed) float64 {
				if s == setGenuine {
					return o.flagged(us, s)
				}
				return o.accepted(us, s)
			}))
			fmt.Fprintf(w, " %.4f", v)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nk-NN gate (margin %v, base classifier): genuine flagged | impostor flagged | accepted uniform projected | victim mean projected | others' medians | zero-effort | ΔAUC w1 | ΔAUC w10\n\n", studyMargins[studyMargin])
	for ki, k := range studyK {
		for qi, q := range studyQuantiles {
			o := option{margin: studyMargin, k: ki, q: qi}
			fmt.Fprintf(w, "- k %d q %v:", k, q)
			for _, s := range []int{setGenuine, setImpostor} {
				v, _ := meanSD(st.perSeed(func(us *userSeed) float64 { return o.flagged(us, s) }))
				fmt.Fprintf(w, " %.4f", v)
			}
			for _, s := range []int{setAttack + 2, setAttack + 4, setAttack + 7, setAttack + 8} {
				v, _ := meanSD(st.perSeed(func(us *userSeed) float64 { return o.accepted(us, s) }))
				fmt.Fprintf(w, " %.4f", v)
			}
			for _, win := range []int{1, 10} {
				m, _, _ := st.pairedCI(func(us *userSeed) float64 { return o.auc(us, win) - withRange.auc(us, win) })
				fmt.Fprintf(w, " %+.4f", m)
			}
			fmt.Fprintln(w)
		}
	}
}
