package classify

import (
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
type GBDT struct {
	Rounds       int     // boosting rounds; default 200
	LearningRate float64 // shrinkage; default 0.1
	MaxDepth     int     // depth of each tree; default 4
	MinLeaf      int     // minimum rows in a leaf; default 5
	Lambda       float64 // L2 penalty on leaf values; default 1
	Subsample    float64 // rows per round, a fraction in (0, 1]; default 0.8
	ColSample    float64 // features per round, a fraction in (0, 1]; default 0.8
	Bins         int     // histogram bins per feature, 2 to 256; default 255
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
		b.Bins = 255
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
	d, err := validate(X, genuine)
	if err != nil {
		return nil, err
	}
	if b, err = b.withDefaults(); err != nil {
		return nil, err
	}
	n := len(X)
	cuts := make([][]float64, d)
	bins := make([]uint8, n*d) // column-major
	col := make([]float64, n)
	for j := range d {
		for i, row := range X {
			col[i] = row[j]
		}
		cuts[j] = binCuts(col, b.Bins)
		for i, v := range col {
			bins[j*n+i] = uint8(sort.SearchFloat64s(cuts[j], v)) // first cut >= v: v <= cut goes left
		}
	}
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
	m := &GBDTModel{D: d}
	f := make([]float64, n)
	g := &boostGrower{b: b, n: n, d: d, bins: bins, cuts: cuts,
		grad: make([]float64, n), hess: make([]float64, n), hist: make([]histBin, d*256)}
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
			for i := range n {
				q := 1 / (1 + math.Exp(-f[i]))
				g.grad[i], g.hess[i] = q-y[i], max(q*(1-q), 1e-16)
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
			g.rows = append(g.rows[:0], all[:nRows]...)
			g.feats = feats[:nFeats]
			t := g.grow()
			for i, row := range X {
				f[i] += treeValue(t, row)
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
	return m, nil
}

func treeValue(t []fnode, x []float64) float64 {
	i := int32(0)
	for t[i].feat >= 0 {
		if x[t[i].feat] <= t[i].v {
			i++
		} else {
			i = t[i].right
		}
	}
	return t[i].v
}

// binCuts returns at most bins-1 ascending thresholds that cut values into
// bins of about equal counts, each threshold between two distinct values
// (see splitThreshold), so a value v falls in bin k when cuts[k-1] < v <=
// cuts[k].
func binCuts(values []float64, bins int) []float64 {
	s := slices.Clone(values)
	slices.Sort(s)
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

type histBin struct {
	g, h float64
	n    int
}

type boostGrower struct {
	b          GBDT
	n, d       int
	bins       []uint8
	cuts       [][]float64
	grad, hess []float64
	hist       []histBin
	rows       []int32
	feats      []int
	nodes      []fnode
}

func (g *boostGrower) grow() []fnode {
	g.nodes = g.nodes[:0]
	g.split(0, len(g.rows), 0)
	return slices.Clone(g.nodes)
}

// split grows the node over rows[lo:hi] and returns its index.
func (g *boostGrower) split(lo, hi, depth int) int32 {
	var G, H float64
	for _, r := range g.rows[lo:hi] {
		G += g.grad[r]
		H += g.hess[r]
	}
	lambda := g.b.Lambda
	me := int32(len(g.nodes))
	// The leaf value, rounded to a float32 so the saved model is the model.
	g.nodes = append(g.nodes, fnode{feat: -1, v: float64(float32(-G / (H + lambda) * g.b.LearningRate))})
	minLeaf := g.b.MinLeaf
	if depth >= g.b.MaxDepth || hi-lo < 2*minLeaf {
		return me
	}
	parent := G * G / (H + lambda)
	best, bestFeat, bestBin := 1e-12, -1, 0
	for _, f := range g.feats {
		nb := len(g.cuts[f]) + 1
		if nb < 2 {
			continue
		}
		h := g.hist[f*256 : f*256+nb]
		clear(h)
		bins := g.bins[f*g.n : (f+1)*g.n]
		for _, r := range g.rows[lo:hi] {
			e := &h[bins[r]]
			e.g += g.grad[r]
			e.h += g.hess[r]
			e.n++
		}
		var gl, hl float64
		nl := 0
		for k := 0; k < nb-1; k++ {
			gl += h[k].g
			hl += h[k].h
			nl += h[k].n
			if nl < minLeaf {
				continue
			}
			if hi-lo-nl < minLeaf {
				break
			}
			gr, hr := G-gl, H-hl
			if gain := gl*gl/(hl+lambda) + gr*gr/(hr+lambda) - parent; gain > best {
				best, bestFeat, bestBin = gain, f, k
			}
		}
	}
	if bestFeat < 0 {
		return me
	}
	bins := g.bins[bestFeat*g.n : (bestFeat+1)*g.n]
	i, j := lo, hi-1
	for i <= j {
		if int(bins[g.rows[i]]) <= bestBin {
			i++
		} else {
			g.rows[i], g.rows[j] = g.rows[j], g.rows[i]
			j--
		}
	}
	g.split(lo, i, depth+1)
	r := g.split(i, hi, depth+1)
	g.nodes[me] = fnode{feat: int32(bestFeat), v: g.cuts[bestFeat][bestBin], right: r}
	return me
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
