package classify

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// GBDT is gradient-boosted decision trees on the logistic loss with
// histogram splits (as LightGBM and scikit-learn's
// HistGradientBoostingClassifier): every feature is cut into at most Bins
// quantile bins once, then each round fits a tree of depth MaxDepth to the
// loss gradients by second-order gain, with an L2 penalty Lambda on the
// leaf values, a fraction Subsample of the rows and ColSample of the
// features drawn at random per round, and shrinks it by LearningRate.
//
// It is written here because no Go module at hand trains boosted trees:
// github.com/dmitryikh/leaves only predicts with models trained by
// LightGBM or XGBoost, github.com/sjwhitworth/golearn has CART, ID3 and
// random forests but no boosting, and gomlx is a neural-network
// framework. A model here must also be reproducible from --seed and saved
// in the validated model file. The per-user training sets are small
// (hundreds to about ten thousand rows), so the fit is single-threaded:
// evaluation runs users in parallel.
//
// Training is LightGBM's recipe at this scale: the rows are binned once
// per fit (uint8 bins, column-major), a node's histograms are summed from
// its gradients gathered in row order, four features a pass, the smaller
// child's histograms are summed and the larger's derived as the parent's
// less the smaller's, the split scan tests each bin without division on
// running sums made beforehand (two features' chains of additions side by
// side, as are the two children's gradient sums), and the buffers live for
// the whole fit. A bin holds its gradient, hessian and count as four
// float64 lanes, so that on a CPU with AVX the inner loops are a few
// vector instructions (gbdt_hist_amd64.s: a row added to a bin by one
// 256-bit addition, four bins' splits tested at once, the loss gradients
// of four rows at once with math.Exp's own operations): the same
// operations lane by lane in the same order, so the trees are those of
// the Go loops, bit for bit (TestAddRows4, TestLossGradients, ...; on
// DFL-500 this made the improved preset's evaluation about 1.4 times
// faster at one core, issue 21). Without the derivation the trees are
// those of the plain algorithm (each node's histograms summed from its
// rows), bit for bit; with it the sums differ in their last bits, so
// where two splits' gains are equal to within rounding the other one may
// be taken: the scores differ from the plain algorithm's far less than
// from another seed's (TestGBDTMatchesOracleDFL). An evaluation sorts the
// feature table once for all its users' fits ([RowFitter]).
type GBDT struct {
	Rounds       int     // boosting rounds; default 200
	LearningRate float64 // shrinkage; default 0.1
	MaxDepth     int     // depth of each tree; default 4
	MinLeaf      int     // minimum rows in a leaf; default 5
	Lambda       float64 // L2 penalty on leaf values; default 1
	Subsample    float64 // rows per round, a fraction in (0, 1]; default 0.8
	ColSample    float64 // features per round, a fraction in (0, 1]; default 0.8
	// Bins is the number of histogram bins per feature, 2 to 256; default
	// 64. Over seeds 0-9 on DFL-500 and Balabit-1000 (improved preset), 64
	// bins moved the window 1 and 10 mean AUC by at most 0.0007 from 255
	// bins (95% intervals over users and seeds within ±0.003, each holding
	// 0) and trained about 1.3 times faster (issue 21).
	Bins int
	// Bags is the number of boosted models averaged (in log-odds, so the
	// result is one model of Bags*Rounds trees), each boosted on its own
	// draws of rows and features; default 3 (on DFL-500 and Balabit-1000 it
	// raised the window 1 mean AUC by 0.001 and 0.004 over 1 bag).
	Bags int
}

// Name returns "gbdt".
func (GBDT) Name() string { return "gbdt" }

// GBDTModel is a fitted [GBDT]: the score of x is the logistic of Base plus
// the sum of the leaf values x reaches, one per tree. A fitted model's Base
// is 0: the trees model the log-odds of the genuine class less those of
// the training set's class ratio, so the score is the probability of a
// genuine action for equal priors (trained on 8 negatives per positive, a
// model does not score every action low). Trees are stored in
// preorder as the forest's are; a leaf's v is its value (float32-exact, as
// the file holds it).
type GBDTModel struct {
	Base  float64
	Trees [][]fnode
	D     int
}

// Score is the logistic of the model's log-odds.
func (m *GBDTModel) Score(x []float64) float64 {
	return 1 / (1 + math.Exp(-m.margin(x)))
}

func (m *GBDTModel) margin(x []float64) float64 {
	s := m.Base
	for _, t := range m.Trees {
		s += leafValue(t, x)
	}
	return s
}

func (m *GBDTModel) width() int { return m.D }

// withDefaults fills in the zero fields and checks the others.
func (b GBDT) withDefaults() (GBDT, error) {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if b.Rounds == 0 {
		b.Rounds = 200
	}
	if b.MaxDepth == 0 {
		b.MaxDepth = 4
	}
	if b.MinLeaf == 0 {
		b.MinLeaf = 5
	}
	if b.Bins == 0 {
		b.Bins = 64
	}
	if b.Bags == 0 {
		b.Bags = 3
	}
	def(&b.LearningRate, 0.1)
	def(&b.Lambda, 1)
	def(&b.Subsample, 0.8)
	def(&b.ColSample, 0.8)
	switch {
	case b.Rounds < 1 || b.MaxDepth < 1 || b.MinLeaf < 1 || b.Bags < 1:
		return b, fmt.Errorf("gbdt: rounds %d, max_depth %d, min_leaf %d, bags %d: each must be >= 1", b.Rounds, b.MaxDepth, b.MinLeaf, b.Bags)
	case b.Bins < 2 || b.Bins > 256:
		return b, fmt.Errorf("gbdt: bins %d: must be 2 to 256", b.Bins)
	case !(b.LearningRate > 0) || !(b.Lambda > 0) || math.IsInf(b.LearningRate, 0) || math.IsInf(b.Lambda, 0):
		return b, fmt.Errorf("gbdt: learning_rate %v, lambda %v: each must be > 0 and finite", b.LearningRate, b.Lambda)
	case !(b.Subsample > 0 && b.Subsample <= 1) || !(b.ColSample > 0 && b.ColSample <= 1):
		return b, fmt.Errorf("gbdt: subsample %v, colsample %v: each must be in (0, 1]", b.Subsample, b.ColSample)
	}
	return b, nil
}

// Fit boosts the trees.
func (b GBDT) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
	if _, err := validate(X, genuine); err != nil {
		return nil, err
	}
	b, err := b.withDefaults()
	if err != nil {
		return nil, err
	}
	return b.boost(ctx, binRows(X, b.Bins), genuine, rng)
}

// binnedSet is a training set cut into histogram bins once, for every bag
// and round: cols[j*n+i] is row i's bin of feature j (column-major: a
// histogram is built one feature at a time), where value v is in bin k
// when cuts[j][k-1] < v <= cuts[j][k].
type binnedSet struct {
	n, d int
	cuts [][]float64
	cols []uint8
}

// binRows bins X with at most maxBins quantile bins per feature (see
// binCuts).
func binRows(X [][]float64, maxBins int) *binnedSet {
	n, d := len(X), len(X[0])
	s := &binnedSet{n: n, d: d, cuts: make([][]float64, d), cols: make([]uint8, n*d)}
	col := make([]float64, n)
	for j := range d {
		for i, row := range X {
			col[i] = row[j]
		}
		cuts := binCuts(col, maxBins)
		s.cuts[j] = cuts
		for i, v := range col {
			s.cols[j*n+i] = uint8(sort.SearchFloat64s(cuts, v)) // first cut >= v: v <= cut goes left
		}
	}
	return s
}

// gbdtTable is a feature table prepared for many gbdt fits on its rows
// (see [RowFitter]): each feature's rows sorted by value once, so that a
// fit bins its rows by walking that order, in time linear in the table,
// rather than sorting them (only the few extra rows given as values, such
// as background negatives, are sorted, and merged in). The bins, and so the model, are those
// [GBDT.Fit] makes from the same rows.
type gbdtTable struct {
	X     [][]float64
	order [][]int32 // order[j]: the rows by ascending value of feature j
}

func (*gbdtTable) rowTable() {}

// Prepare checks X (rows of one width, finite values) and sorts each
// feature's rows by value. X is kept, not copied: it must not change while
// the table is used.
func (b GBDT) Prepare(X [][]float64) (Table, error) {
	if len(X) == 0 {
		return nil, fmt.Errorf("gbdt: empty table")
	}
	if len(X) > math.MaxInt32 {
		return nil, fmt.Errorf("gbdt: %d rows, at most %d", len(X), math.MaxInt32)
	}
	d := len(X[0])
	for i, row := range X {
		if len(row) != d {
			return nil, fmt.Errorf("row %d has %d values, want %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("row %d feature %d is %v", i, j, v)
			}
		}
	}
	t := &gbdtTable{X: X, order: make([][]int32, d)}
	type vi struct {
		v float64
		i int32
	}
	col := make([]vi, len(X))
	for j := range d {
		for i, row := range X {
			col[i] = vi{row[j], int32(i)}
		}
		slices.SortFunc(col, func(a, b vi) int { return cmp.Or(cmp.Compare(a.v, b.v), cmp.Compare(a.i, b.i)) })
		t.order[j] = make([]int32, len(X))
		for k, e := range col {
			t.order[j][k] = e.i
		}
	}
	return t, nil
}

// FitRows fits on rows of t (a table from [GBDT.Prepare]) followed by the
// rows extra, labelled genuine; it returns the model Fit returns for the
// same rows.
func (b GBDT) FitRows(ctx context.Context, t Table, rows []int, extra [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
	tab, ok := t.(*gbdtTable)
	if !ok {
		return nil, fmt.Errorf("gbdt: a %T is not a table of gbdt's Prepare", t)
	}
	if n := len(rows) + len(extra); n != len(genuine) {
		return nil, fmt.Errorf("training set: %d rows, %d labels", n, len(genuine))
	}
	d := len(tab.order)
	for i, row := range extra {
		if len(row) != d {
			return nil, fmt.Errorf("training row %d has %d values, want %d", len(rows)+i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("training row %d feature %d is %v", len(rows)+i, j, v)
			}
		}
	}
	if !slices.Contains(genuine, true) || !slices.Contains(genuine, false) {
		return nil, ErrSingleClass
	}
	b, err := b.withDefaults()
	if err != nil {
		return nil, err
	}
	s, err := tab.bin(rows, extra, b.Bins)
	if err != nil {
		return nil, err
	}
	return b.boost(ctx, s, genuine, rng)
}

// bin bins the rows of t at rows followed by the rows extra (training row
// k is table row rows[k], then extra[k-len(rows)]) as binRows bins them,
// walking each feature's sorted order and merging the extra rows' values,
// sorted, into it. (The bins depend on the values alone, not on the order
// of equal ones.)
func (t *gbdtTable) bin(rows []int, extra [][]float64, maxBins int) (*binnedSet, error) {
	N, d := len(t.X), len(t.order)
	n := len(rows) + len(extra)
	slot := make([]int32, N) // training row + 1 of a table row, 0 if none
	for k, r := range rows {
		if r < 0 || r >= N {
			return nil, fmt.Errorf("row %d of a table of %d", r, N)
		}
		if slot[r] != 0 {
			return nil, fmt.Errorf("row %d is drawn twice", r)
		}
		slot[r] = int32(k + 1)
	}
	s := &binnedSet{n: n, d: d, cuts: make([][]float64, d), cols: make([]uint8, n*d)}
	vals, at := make([]float64, 0, n), make([]int32, 0, n)
	type vi struct {
		v float64
		i int32
	}
	ext := make([]vi, len(extra))
	for j, order := range t.order {
		for e, row := range extra {
			ext[e] = vi{row[j], int32(len(rows) + e)}
		}
		slices.SortFunc(ext, func(a, b vi) int { return cmp.Compare(a.v, b.v) })
		vals, at = vals[:0], at[:0]
		e := 0
		for _, r := range order {
			if k := slot[r]; k != 0 {
				v := t.X[r][j]
				for ; e < len(ext) && ext[e].v < v; e++ {
					vals, at = append(vals, ext[e].v), append(at, ext[e].i)
				}
				vals, at = append(vals, v), append(at, k-1)
			}
		}
		for ; e < len(ext); e++ {
			vals, at = append(vals, ext[e].v), append(at, ext[e].i)
		}
		cuts := sortedCuts(vals, maxBins)
		s.cuts[j] = cuts
		col := s.cols[j*n : j*n+n]
		bin := 0
		for i, v := range vals {
			for bin < len(cuts) && cuts[bin] < v {
				bin++ // as SearchFloat64s: the first cut >= v
			}
			col[at[i]] = uint8(bin)
		}
	}
	return s, nil
}

// boost fits the model on s, whose row i is genuine when genuine[i].
func (b GBDT) boost(ctx context.Context, s *binnedSet, genuine []bool, rng *rand.Rand) (*GBDTModel, error) {
	return b.boostWith(ctx, newBoostGrower(b, s), genuine, rng)
}

// boostWith fits the model with grower g.
func (b GBDT) boostWith(ctx context.Context, g *boostGrower, genuine []bool, rng *rand.Rand) (*GBDTModel, error) {
	n, d := g.s.n, g.s.d
	pos := 0
	y := make([]float64, n)
	for i, g := range genuine {
		if g {
			y[i] = 1
			pos++
		}
	}
	// Boosting starts from the training prior's log-odds; the model's
	// base is 0: its score is the probability for equal priors, whatever
	// the ratio of negatives drawn, so that 0.5 stays the neutral score.
	p := float64(pos) / float64(n)
	prior := math.Log(p / (1 - p))
	m := &GBDTModel{D: d, Trees: make([][]fnode, 0, b.Bags*b.Rounds)}
	f := g.f
	all := make([]int32, n)
	nRows := max(1, int(math.Round(b.Subsample*float64(n))))
	nFeats := max(1, int(math.Round(b.ColSample*float64(d))))
	feats := make([]int, d)
	for range b.Bags {
		for i := range f {
			f[i] = prior
			all[i] = int32(i)
		}
		for j := range feats {
			feats[j] = j
		}
		for range b.Rounds {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			// Partial Fisher-Yates draws of the round's rows and features.
			for k := range nRows {
				j := k + rng.IntN(n-k)
				all[k], all[j] = all[j], all[k]
			}
			for k := range nFeats {
				j := k + rng.IntN(d-k)
				feats[k], feats[j] = feats[j], feats[k]
			}
			lossGradients(g.gradHess, f, y, all[:nRows])
			g.rows = append(g.rows[:0], all[:nRows]...)
			g.setFeatures(feats[:nFeats])
			// grow adds each drawn row's leaf value to f; the others walk
			// the tree on their bins.
			t := g.grow()
			for _, r := range all[nRows:] {
				f[r] += g.leafOf(r)
			}
			if b.Bags > 1 {
				// The model averages the bags' log-odds: it holds each
				// leaf divided by Bags (a float32, as the file holds it).
				for k := range t {
					if t[k].feat < 0 {
						t[k].v = float64(float32(t[k].v / float64(b.Bags)))
					}
				}
			}
			m.Trees = append(m.Trees, t)
		}
	}
	// One array holds the model's nodes, as Load makes it.
	total := 0
	for _, t := range m.Trees {
		total += len(t)
	}
	nodes := make([]fnode, 0, total)
	for i, t := range m.Trees {
		nodes = append(nodes, t...)
		m.Trees[i] = nodes[len(nodes)-len(t) : len(nodes) : len(nodes)]
	}
	return m, nil
}

// lossGradients sets the gradient and hessian of gh[r] to those of the
// logistic loss at log-odds f[r] and label y[r] for the rows rows: those
// the round's tree is fitted to. Where the CPU has AVX2 and FMA it does
// four rows at once (lossGradientsAVX), with the operations math.Exp does
// on such a CPU: the same values.
func lossGradients(gh []histBin, f, y []float64, rows []int32) {
	k, n4 := 0, len(rows)&^3
	if useExpAVX && n4 > 0 {
		// Every row must index gh, f and y: the assembly does not check.
		for _, r := range rows[:n4] {
			_, _, _ = gh[r], f[r], y[r]
		}
		for k < n4 {
			k += lossGradientsAVX(&gh[0], &f[0], &y[0], rows[k:n4])
			if k < n4 {
				// A log-odds beyond ±700 (or not finite): math.Exp's edge
				// cases, one row at a time.
				lossGradientsGo(gh, f, y, rows[k:k+4])
				k += 4
			}
		}
	}
	lossGradientsGo(gh, f, y, rows[k:])
}

// lossGradientsGo is lossGradients one row at a time. (A function of its
// own, so that its loop keeps its values in registers.)
func lossGradientsGo(gh []histBin, f, y []float64, rows []int32) {
	for _, r := range rows {
		q := 1 / (1 + math.Exp(-f[r]))
		gh[r].g, gh[r].h = q-y[r], max(q*(1-q), 1e-16)
	}
}

// binCuts returns at most bins-1 ascending thresholds that cut values into
// bins of about equal counts, each threshold between two distinct values
// (see splitThreshold), so a value v falls in bin k when cuts[k-1] < v <=
// cuts[k].
func binCuts(values []float64, bins int) []float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	return sortedCuts(s, bins)
}

// sortedCuts is binCuts of values sorted in ascending order.
func sortedCuts(s []float64, bins int) []float64 {
	var distinct []float64
	var counts []int
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	var cuts []float64
	if len(distinct) <= bins {
		for k := 1; k < len(distinct); k++ {
			cuts = append(cuts, splitThreshold(distinct[k-1], distinct[k]))
		}
		return cuts
	}
	per := float64(len(s)) / float64(bins)
	seen := 0
	next := per
	for k := 0; k < len(distinct)-1 && len(cuts) < bins-1; k++ {
		seen += counts[k]
		if float64(seen) >= next {
			cuts = append(cuts, splitThreshold(distinct[k], distinct[k+1]))
			for next <= float64(seen) {
				next += per
			}
		}
	}
	return cuts
}

// gradPair is a row's gradient and hessian of the loss.
type gradPair struct{ g, h float64 }

// histBin sums the gradients and hessians of a node's rows in one bin of
// one feature, and counts them. The count is a float64 (exact: a node has
// far fewer than 2^53 rows) and the bin 32 bytes, so that one 256-bit
// addition adds a row to a bin (see addRows4).
type histBin struct {
	g, h, n float64
	_       float64
}

// histFeature is a feature of the round with at least two bins, and where
// its bins start in a node's histogram (feature f's 256 slots start at
// f*256).
type histFeature struct {
	f, off, nb int
}

// boostGrower grows the trees of one fit. It allocates its buffers once:
// a tree costs its nodes and nothing else.
type boostGrower struct {
	b        GBDT
	s        *binnedSet
	gradHess []histBin // each row's gradient, hessian and count 1
	gh       []histBin // scratch: a node's rows' gradients, hessians and 1, in row order
	f        []float64 // each row's log-odds
	rows     []int32   // the round's rows; a node holds rows[lo:hi]
	used     []histFeature
	usedBins int          // bins of the used features
	pad      [256]histBin // scratch: build's histogram of no feature
	nodes    []fnode
	splitBin []uint8 // an internal node's bin: bin <= splitBin goes left
	arena    []fnode // the chunk the trees' nodes are copied to
	free     [][]histBin
	// scratch: a node's histograms' gradients, hessians and counts
	// summed up to each bin (see cumulate), three arrays of d*256 in one
	cum, cumG, cumH, cumN []float64
	// subtract derives a node's histogram as its parent's less its
	// sibling's where that is cheaper than summing its rows (as LightGBM
	// does): the sums then differ from the rows' in the last bits.
	subtract bool
}

func newBoostGrower(b GBDT, s *binnedSet) *boostGrower {
	g := &boostGrower{b: b, s: s, subtract: true,
		gradHess: make([]histBin, s.n), gh: make([]histBin, s.n), f: make([]float64, s.n)}
	for i := range g.gradHess {
		g.gradHess[i].n = 1 // a row counts once in a histogram
	}
	return g
}

// setFeatures sets the round's features (in draw order).
func (g *boostGrower) setFeatures(feats []int) {
	g.used, g.usedBins = g.used[:0], 0
	for _, f := range feats {
		if nb := len(g.s.cuts[f]) + 1; nb >= 2 {
			g.used = append(g.used, histFeature{f: f, off: f * 256, nb: nb})
			g.usedBins += nb
		}
	}
}

// take returns a histogram buffer; put gives it back.
func (g *boostGrower) take() []histBin {
	if k := len(g.free); k > 0 {
		h := g.free[k-1]
		g.free = g.free[:k-1]
		return h
	}
	return make([]histBin, g.s.d*256)
}

func (g *boostGrower) put(h []histBin) {
	if h != nil {
		g.free = append(g.free, h)
	}
}

// build sums rows into h's bins of the round's features, each bin's in
// row order. It goes over the rows once per four features (addRows4),
// gathering the rows' gradients first: the four histograms (at most 8 KB
// each) stay in the L1 cache, and a row's index and gradients are read
// once for four.
func (g *boostGrower) build(h []histBin, rows []int32) {
	gh := g.gh[:len(rows)]
	for k, r := range rows {
		gh[k] = g.gradHess[r]
	}
	n, used := g.s.n, g.used
	for _, u := range used {
		clear(h[u.off : u.off+u.nb])
	}
	for ; len(used) >= 4; used = used[4:] {
		u0, u1, u2, u3 := used[0], used[1], used[2], used[3]
		addRows4((*[256]histBin)(h[u0.off:u0.off+256]), (*[256]histBin)(h[u1.off:u1.off+256]),
			(*[256]histBin)(h[u2.off:u2.off+256]), (*[256]histBin)(h[u3.off:u3.off+256]),
			g.s.cols[u0.f*n:u0.f*n+n], g.s.cols[u1.f*n:u1.f*n+n], g.s.cols[u2.f*n:u2.f*n+n], g.s.cols[u3.f*n:u3.f*n+n],
			rows, gh)
	}
	if len(used) >= 2 {
		// Two or three features left: one more pass of four, the missing
		// ones summed into a scratch histogram, is cheaper than a pass
		// each.
		hs := [4]*[256]histBin{&g.pad, &g.pad, &g.pad, &g.pad}
		var cs [4][]uint8
		for i := range cs {
			u := used[min(i, len(used)-1)]
			if i < len(used) {
				hs[i] = (*[256]histBin)(h[u.off : u.off+256])
			}
			cs[i] = g.s.cols[u.f*n : u.f*n+n]
		}
		addRows4(hs[0], hs[1], hs[2], hs[3], cs[0], cs[1], cs[2], cs[3], rows, gh)
		used = nil
	}
	for _, u := range used {
		hf := (*[256]histBin)(h[u.off : u.off+256]) // a uint8 indexes it unchecked
		col := g.s.cols[u.f*n : u.f*n+n]
		for k, r := range rows {
			e := &hf[col[r]]
			e.g += gh[k].g
			e.h += gh[k].h
			e.n += gh[k].n
		}
	}
}

// addRows4Go adds row k of gh (its gradient, hessian and count 1) to the
// bin of row rows[k] in each of four features' histograms h0 to h3, whose
// bins are the columns c0 to c3, for k in order: addRows4 without
// assembly. Every rows[k] must index the columns.
func addRows4Go(h0, h1, h2, h3 *[256]histBin, c0, c1, c2, c3 []uint8, rows []int32, gh []histBin) {
	gh = gh[:len(rows)]
	for k, r := range rows {
		x := &gh[k]
		e := &h0[c0[r]]
		e.g += x.g
		e.h += x.h
		e.n += x.n
		e = &h1[c1[r]]
		e.g += x.g
		e.h += x.h
		e.n += x.n
		e = &h2[c2[r]]
		e.g += x.g
		e.h += x.h
		e.n += x.n
		e = &h3[c3[r]]
		e.g += x.g
		e.h += x.h
		e.n += x.n
	}
}

// minus subtracts o from h over the round's features.
func (g *boostGrower) minus(h, o []histBin) {
	for _, u := range g.used {
		subBins(h[u.off:u.off+u.nb], o[u.off:u.off+u.nb])
	}
}

// subBinsGo subtracts o's bins from h's; a bin left with no rows is left
// with sums of 0, not what rounding left (without a branch, which would be
// mispredicted; the count is exact).
func subBinsGo(h, o []histBin) {
	o = o[:len(h)]
	for k := range h {
		e := &h[k]
		e.g -= o[k].g
		e.h -= o[k].h
		e.n -= o[k].n
		var keep uint64
		if e.n != 0 {
			keep = ^uint64(0)
		}
		e.g = math.Float64frombits(math.Float64bits(e.g) & keep)
		e.h = math.Float64frombits(math.Float64bits(e.h) & keep)
	}
}

// splits reports whether a node of rows rows at depth depth is split.
func (g *boostGrower) splits(rows, depth int) bool {
	return depth < g.b.MaxDepth && rows >= 2*g.b.MinLeaf
}

// grow fits one tree to the gradients of g.rows and adds each row's leaf
// value to g.f.
func (g *boostGrower) grow() []fnode {
	g.nodes, g.splitBin = g.nodes[:0], g.splitBin[:0]
	var h []histBin
	if g.splits(len(g.rows), 0) {
		h = g.take()
		g.build(h, g.rows)
	}
	var root gradPair
	for _, r := range g.rows {
		root.g += g.gradHess[r].g
		root.h += g.gradHess[r].h
	}
	g.split(0, len(g.rows), 0, h, root)
	// The trees share chunks of nodes while the model grows: a fit
	// allocates a few chunks, not one slice per tree.
	if cap(g.arena)-len(g.arena) < len(g.nodes) {
		g.arena = make([]fnode, 0, max(4096, len(g.nodes)))
	}
	start := len(g.arena)
	g.arena = append(g.arena, g.nodes...)
	return g.arena[start:len(g.arena):len(g.arena)]
}

// leafOf returns the value of the leaf row r reaches in the tree just
// grown, walking it on the row's bins (a value is <= a node's threshold
// exactly when its bin is <= the node's).
func (g *boostGrower) leafOf(r int32) float64 {
	n := g.s.n
	i := int32(0)
	for g.nodes[i].feat >= 0 {
		// Without a branch on the side (the compiler makes one of an if):
		// the rows' walks then overlap rather than wait for mispredicted
		// branches. left is 1 when the row's bin is at most the node's,
		// else 0.
		left := 1 + (int32(g.splitBin[i])-int32(g.s.cols[int(g.nodes[i].feat)*n+int(r)]))>>31
		i = g.nodes[i].right + (i+1-g.nodes[i].right)*left
	}
	return g.nodes[i].v
}

// split grows the node over rows[lo:hi], whose histogram is h (nil when
// the node cannot split) and whose rows' gradients and hessians sum to
// sum (added in row order), and returns its index. It owns h: it passes it
// to a child or puts it back.
func (g *boostGrower) split(lo, hi, depth int, h []histBin, sum gradPair) int32 {
	rows := g.rows[lo:hi]
	G, H := sum.g, sum.h
	lambda := g.b.Lambda
	me := int32(len(g.nodes))
	// The leaf value, rounded to a float32 so the saved model is the model.
	v := float64(float32(-G / (H + lambda) * g.b.LearningRate))
	g.nodes = append(g.nodes, fnode{feat: -1, v: v})
	g.splitBin = append(g.splitBin, 0)
	leaf := func() int32 {
		g.put(h)
		for _, r := range rows {
			g.f[r] += v
		}
		return me
	}
	if h == nil {
		return leaf()
	}
	minLeaf, n := float64(g.b.MinLeaf), float64(hi-lo)
	parent := G * G / (H + lambda)
	best, bestFeat, bestBin := 1e-12, -1, 0
	bar := (best + parent) * (1 - 1e-9)
	g.cumulate(h)
	for _, u := range g.used {
		// The splits after bins first to end-1 leave at least minLeaf
		// rows on either side (the running counts are exact and do not
		// decrease; the last bin is no split).
		cn := g.cumN[u.off : u.off+u.nb-1]
		first, end := 0, len(cn)
		for first < end && cn[first] < minLeaf {
			first++
		}
		for end > first && n-cn[end-1] < minLeaf {
			end--
		}
		cg, ch := g.cumG[u.off:u.off+end], g.cumH[u.off:u.off+end]
		for k := first; k < end; k++ {
			j := nextCandidate(cg[k:], ch[k:], G, H, lambda, bar)
			if j < 0 {
				break
			}
			k += j
			gl, hl := cg[k], ch[k]
			if gain := gl*gl/(hl+lambda) + (G-gl)*(G-gl)/(H-hl+lambda) - parent; gain > best {
				best, bestFeat, bestBin = gain, u.f, k
				bar = (best + parent) * (1 - 1e-9)
			}
		}
	}
	if bestFeat < 0 {
		return leaf()
	}
	i := g.partition(lo, hi, bestFeat, uint8(bestBin))
	hl, hr := g.children(h, lo, i, hi, depth+1)
	sl, sr := g.sums(lo, i, hi)
	g.split(lo, i, depth+1, hl, sl)
	r := g.split(i, hi, depth+1, hr, sr)
	g.nodes[me] = fnode{feat: int32(bestFeat), v: g.s.cuts[bestFeat][bestBin], right: r}
	g.splitBin[me] = uint8(bestBin)
	return me
}

// sums returns the sums of the gradients and hessians of rows[lo:mid] and
// of rows[mid:hi], each added in row order. It adds the two children's
// side by side: each sum is a chain of additions, each waiting for the
// one before, and two chains advance together.
func (g *boostGrower) sums(lo, mid, hi int) (left, right gradPair) {
	a, b := g.rows[lo:mid], g.rows[mid:hi]
	gh := g.gradHess
	k := 0
	for ; k < len(a) && k < len(b); k++ {
		pa, pb := gh[a[k]], gh[b[k]]
		left.g, left.h = left.g+pa.g, left.h+pa.h
		right.g, right.h = right.g+pb.g, right.h+pb.h
	}
	for _, r := range a[k:] {
		left.g, left.h = left.g+gh[r].g, left.h+gh[r].h
	}
	for _, r := range b[k:] {
		right.g, right.h = right.g+gh[r].g, right.h+gh[r].h
	}
	return left, right
}

// partition moves the rows of rows[lo:hi] whose bin of feature f is at
// most bin before the others and returns where the others start.
func (g *boostGrower) partition(lo, hi, f int, bin uint8) int {
	n := g.s.n
	col := g.s.cols[f*n : f*n+n]
	rows := g.rows
	i, j := lo, hi-1
	for i <= j {
		if col[rows[i]] <= bin {
			i++
		} else {
			rows[i], rows[j] = rows[j], rows[i]
			j--
		}
	}
	return i
}

// cumulate sets cumG, cumH and cumN to the running sums of h's bins for
// the round's features: bin k of a feature holds the sums of the
// feature's bins 0 to k, added in bin order. It sums two features at a
// time (cumulate2): each sum is a chain of additions, each waiting for the
// one before, and two chains advance side by side.
func (g *boostGrower) cumulate(h []histBin) {
	if g.cum == nil {
		D := g.s.d * 256
		g.cum = make([]float64, 3*D)
		g.cumG, g.cumH, g.cumN = g.cum[:D:D], g.cum[D:2*D:2*D], g.cum[2*D:]
	}
	used := g.used
	for ; len(used) >= 2; used = used[2:] {
		a, b := used[0], used[1]
		k := min(a.nb, b.nb)
		g.cumulate2(h[a.off:a.off+k], h[b.off:b.off+k], a.off, b.off)
		at := func(off int) histBin {
			return histBin{g: g.cumG[off+k-1], h: g.cumH[off+k-1], n: g.cumN[off+k-1]}
		}
		g.runningSums(a, h[a.off:a.off+a.nb], k, at(a.off))
		g.runningSums(b, h[b.off:b.off+b.nb], k, at(b.off))
	}
	for _, u := range used {
		g.runningSums(u, h[u.off:u.off+u.nb], 0, histBin{})
	}
}

// cumulate2Go sets the running sums from bin offA on to those of the bins
// ha, and from offB on to those of hb (as many): cumulate2 in Go.
func (g *boostGrower) cumulate2Go(ha, hb []histBin, offA, offB int) {
	hb = hb[:len(ha)]
	n := len(ha)
	ga, gb := g.cumG[offA:offA+n], g.cumG[offB:offB+n]
	Ha, Hb := g.cumH[offA:offA+n], g.cumH[offB:offB+n]
	na, nb := g.cumN[offA:offA+n], g.cumN[offB:offB+n]
	var sa, sb histBin
	for k := range ha {
		sa.g, sa.h, sa.n = sa.g+ha[k].g, sa.h+ha[k].h, sa.n+ha[k].n
		sb.g, sb.h, sb.n = sb.g+hb[k].g, sb.h+hb[k].h, sb.n+hb[k].n
		ga[k], Ha[k], na[k] = sa.g, sa.h, sa.n
		gb[k], Hb[k], nb[k] = sb.g, sb.h, sb.n
	}
}

// runningSums sets feature u's running sums from bin k on to s plus the
// sums of h's bins k on.
func (g *boostGrower) runningSums(u histFeature, h []histBin, k int, s histBin) {
	cg, ch, cn := g.cumG[u.off:u.off+len(h)], g.cumH[u.off:u.off+len(h)], g.cumN[u.off:u.off+len(h)]
	for ; k < len(h); k++ {
		s.g, s.h, s.n = s.g+h[k].g, s.h+h[k].h, s.n+h[k].n
		cg[k], ch[k], cn[k] = s.g, s.h, s.n
	}
}

// nextCandidate scans the running sums of a feature's gradients cg and
// hessians ch (see cumulate), of bins whose splits leave enough rows on
// either side, and returns the first bin whose split may beat the best
// split so far, or -1 when none does.
//
// A split's gain is gl²/(hl+λ) + gr²/(hr+λ) - parent: two divisions a bin
// would bound the scan by the divider, so a bin is tested without
// division: gl²(hr+λ) + gr²(hl+λ) against bar = (best+parent)(1-1e-9)
// times (hl+λ)(hr+λ). The margin is far above the few roundings either
// side of the test makes, so every bin whose gain beats the best passes,
// and the caller computes the gain of the few that do as before: the split
// chosen is the one the gain alone would choose. An empty bin is not
// skipped (the branch would be mispredicted): it repeats the split before
// it, whose gain it cannot beat. The bins' tests do not depend on each
// other (the sums are made beforehand), so they overlap; with AVX four
// bins are tested at once (nextCandidateAVX).
func nextCandidate(cg, ch []float64, G, H, lambda, bar float64) int {
	k := 0
	if n4 := len(cg) &^ 3; useAVX && n4 > 0 {
		if len(ch) < n4 {
			panic("classify: nextCandidate: fewer hessians than gradients")
		}
		if j := nextCandidateAVX(&cg[0], &ch[0], n4, G, H, lambda, bar); j >= 0 {
			return j
		}
		k = n4
	}
	if j := nextCandidateGo(cg[k:], ch[k:], G, H, lambda, bar); j >= 0 {
		return k + j
	}
	return -1
}

// nextCandidateGo is nextCandidate one bin at a time.
func nextCandidateGo(cg, ch []float64, G, H, lambda, bar float64) int {
	ch = ch[:len(cg)]
	for k, gl := range cg {
		hl := ch[k]
		gr, dl, dr := G-gl, hl+lambda, H-hl+lambda
		// The conversions keep a compiler from fusing a multiply and an
		// add (it may with GOAMD64=v3): the assembly does not either.
		if float64(gl*gl*dr)+float64(gr*gr*dl) > bar*(dl*dr) {
			return k
		}
	}
	return -1
}

// children returns the histograms of a node's children over rows[lo:mid]
// and rows[mid:hi] at depth depth (nil for a child that will not split),
// made from the node's histogram h: the smaller child's summed from its
// rows, the larger's derived as h less the smaller's where that costs less
// than summing its rows (with F features and B bins in all, a derivation
// costs B, and F a row of the smaller child when that one needs no
// histogram of its own).
func (g *boostGrower) children(h []histBin, lo, mid, hi, depth int) (left, right []histBin) {
	small, large := g.rows[lo:mid], g.rows[mid:hi]
	needSmall, needLarge := g.splits(len(small), depth), g.splits(len(large), depth)
	leftSmall := len(small) <= len(large)
	if !leftSmall {
		small, large = large, small
		needSmall, needLarge = needLarge, needSmall
	}
	F, B := len(g.used), g.usedBins
	cost := B
	if !needSmall {
		cost += len(small) * F
	}
	derive := g.subtract && needLarge && len(large)*F > cost
	var hs, hl []histBin
	if needSmall || derive {
		hs = g.take()
		g.build(hs, small)
	}
	switch {
	case derive:
		g.minus(h, hs)
		hl = h
	case needLarge:
		g.build(h, large)
		hl = h
	default:
		g.put(h)
	}
	if !needSmall {
		g.put(hs)
		hs = nil
	}
	if leftSmall {
		return hs, hl
	}
	return hl, hs
}

// The gbdt payload: float64 base, uvarint tree count, then each tree's
// nodes in preorder as the forest's (see encodeTrees), each introduced by
// a tag byte:
//
//	0          leaf, float32 value follows
//	1          internal node, uvarint feature and float64 threshold follow
//	2          internal node, uvarint feature and float32 threshold follow
const (
	gbLeaf32 = iota
	gbSplit64
	gbSplit32
)

func encodeGBDT(m *GBDTModel) ([]byte, error) {
	if math.IsNaN(m.Base) || math.IsInf(m.Base, 0) {
		return nil, fmt.Errorf("base %v", m.Base)
	}
	if len(m.Trees) == 0 || len(m.Trees) > maxTrees {
		return nil, fmt.Errorf("%d trees, want 1 to %d", len(m.Trees), maxTrees)
	}
	e := &enc{}
	e.f64(m.Base)
	e.uvarint(uint64(len(m.Trees)))
	for ti, t := range m.Trees {
		if err := checkBoostTree(t, m.D); err != nil {
			return nil, fmt.Errorf("tree %d: %w", ti, err)
		}
		for _, nd := range t {
			switch {
			case nd.feat < 0:
				e.b = append(e.b, gbLeaf32)
				e.b = binary.BigEndian.AppendUint32(e.b, math.Float32bits(float32(nd.v)))
			case float64(float32(nd.v)) == nd.v:
				e.b = append(e.b, gbSplit32)
				e.uvarint(uint64(nd.feat))
				e.b = binary.BigEndian.AppendUint32(e.b, math.Float32bits(float32(nd.v)))
			default:
				e.b = append(e.b, gbSplit64)
				e.uvarint(uint64(nd.feat))
				e.f64(nd.v)
			}
		}
	}
	return e.b, nil
}

// checkBoostTree checks an in-memory boosted tree: preorder, features below
// width, finite thresholds and float32-exact finite leaf values.
func checkBoostTree(t []fnode, width int) error {
	if len(t) == 0 {
		return fmt.Errorf("no nodes")
	}
	end := make([]int32, len(t))
	for i := len(t) - 1; i >= 0; i-- {
		nd := t[i]
		if math.IsNaN(nd.v) || math.IsInf(nd.v, 0) {
			return fmt.Errorf("node %d: value %v", i, nd.v)
		}
		if nd.feat < 0 {
			if float64(float32(nd.v)) != nd.v {
				return fmt.Errorf("node %d: leaf value %v is not a float32", i, nd.v)
			}
			end[i] = int32(i) + 1
			continue
		}
		if int(nd.feat) >= width {
			return fmt.Errorf("node %d splits on feature %d; the schema has %d features", i, nd.feat, width)
		}
		if i+1 >= len(t) || nd.right != end[i+1] || int(nd.right) >= len(t) {
			return fmt.Errorf("node %d: children are not in preorder (left %d, right %d of %d nodes)", i, i+1, nd.right, len(t))
		}
		end[i] = end[nd.right]
	}
	if end[0] != int32(len(t)) {
		return fmt.Errorf("%d nodes, the root's subtree has %d", len(t), end[0])
	}
	return nil
}

// decodeGBDT reads and validates a gbdt payload for width features. Every
// value is finite and a float32 leaf is at most 3.4e38, so the sum over at
// most maxTrees trees is finite and Score is never NaN.
func decodeGBDT(p []byte, width int) (*GBDTModel, error) {
	d := &dec{p: p}
	m := &GBDTModel{D: width, Base: d.finite("base")}
	n := d.count("trees", 1)
	if d.err == nil && (n == 0 || n > maxTrees) {
		d.fail("%d trees, want 1 to %d", n, maxTrees)
	}
	if d.err != nil {
		return nil, d.err
	}
	nodes := make([]fnode, 0, len(d.p)/5+1)
	ends := make([]int, n)
	var open []int32
	for ti := range ends {
		// failed returns the error of tree ti, if any, naming the tree
		// where the reader ran out of bytes.
		failed := func() error {
			if errors.Is(d.err, ErrTruncated) {
				return fmt.Errorf("tree %d: %w", ti, d.err)
			}
			return d.err
		}
		start := len(nodes)
		for {
			tag := d.u8()
			i := int32(len(nodes) - start)
			switch tag {
			case gbSplit32, gbSplit64:
				feat := d.uvarint()
				var thr float64
				if tag == gbSplit32 {
					thr = float64(math.Float32frombits(d.u32()))
				} else {
					thr = d.f64()
				}
				if d.err == nil && feat >= uint64(width) {
					d.fail("tree %d node %d splits on feature %d; the schema has %d features", ti, i, feat, width)
				}
				if d.err == nil && (math.IsNaN(thr) || math.IsInf(thr, 0)) {
					d.fail("tree %d node %d: threshold %v", ti, i, thr)
				}
				if d.err != nil {
					return nil, failed()
				}
				nodes = append(nodes, fnode{feat: int32(feat), v: thr})
				open = append(open, i)
				continue
			case gbLeaf32:
				v := float64(math.Float32frombits(d.u32()))
				if d.err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
					d.fail("tree %d node %d: leaf value %v", ti, i, v)
				}
				if d.err != nil {
					return nil, failed()
				}
				nodes = append(nodes, fnode{feat: -1, v: v})
			default:
				d.fail("tree %d node %d: unknown tag %d", ti, i, tag)
				return nil, failed()
			}
			if len(open) == 0 {
				break // the tree is complete
			}
			nodes[start+int(open[len(open)-1])].right = i + 1
			open = open[:len(open)-1]
		}
		ends[ti] = len(nodes)
	}
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	nodes = slices.Clip(nodes)
	m.Trees = make([][]fnode, n)
	start := 0
	for ti, end := range ends {
		m.Trees[ti] = nodes[start:end:end]
		start = end
	}
	return m, nil
}
