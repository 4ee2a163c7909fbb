package classify

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// ExtraTrees is an extremely randomised forest (Geurts, Ernst & Wehenkel,
// 2006; scikit-learn's ExtraTreesClassifier): at each node MaxFeatures
// features are drawn at random, each gets one threshold drawn uniformly
// between its smallest and largest value in the node, and the best of
// these splits by Gini impurity is kept. Every tree sees every training
// row (no bootstrap, scikit-learn's default: on DFL-500 bootstrap samples
// scored lower). Written here, like [Forest],
// because no maintained Go library grows seeded, reproducible trees; it
// shares the forest's model (leaf values are the genuine share of the
// leaf's rows) and its file encoding. One seed per tree is drawn from the caller's rng before
// the trees are grown in parallel, so the model is the same for any
// Workers.
type ExtraTrees struct {
	Trees       int // default 100
	MaxFeatures int // features tried per split; 0 = floor(sqrt(d))
	MaxDepth    int // 0 = unlimited
	MinLeaf     int // minimum rows in a leaf; 0 = 1
	Workers     int // 0 = GOMAXPROCS
}

// Name returns "et".
func (ExtraTrees) Name() string { return "et" }

// ExtraTreesModel is a fitted [ExtraTrees]: a forest, scored as
// [ForestModel] is.
type ExtraTreesModel struct {
	ForestModel
}

// Fit grows the trees.
func (f ExtraTrees) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
	d, err := validate(X, genuine)
	if err != nil {
		return nil, err
	}
	trees, mtry := forestShape(f.Trees, f.MaxFeatures, d)
	n := len(X)
	x := make([]float64, n*d) // column-major
	for i, row := range X {
		for j, v := range row {
			x[j*n+i] = v
		}
	}
	grown, err := growTrees(ctx, rng, trees, f.Workers, func() func(*rand.Rand) []fnode {
		g := &etGrower{n: n, d: d, x: x, y: genuine, mtry: mtry, maxDepth: f.MaxDepth, minLeaf: max(f.MinLeaf, 1)}
		return g.grow
	})
	if err != nil {
		return nil, err
	}
	return &ExtraTreesModel{ForestModel{Trees: grown, D: d}}, nil
}

type etGrower struct {
	n, d     int
	x        []float64 // column-major
	y        []bool
	mtry     int
	maxDepth int
	minLeaf  int
	rng      *rand.Rand
	nodes    []fnode
	rows     []int32 // partitioned by node
	feats    []int
}

func (g *etGrower) grow(rng *rand.Rand) []fnode {
	g.rng = rng
	if g.rows == nil {
		g.rows = make([]int32, g.n)
		g.feats = make([]int, g.d)
	}
	for i := range g.rows {
		g.rows[i] = int32(i)
	}
	for j := range g.feats {
		g.feats[j] = j
	}
	g.nodes = make([]fnode, 0, 2*g.n/3+1)
	g.split(0, g.n, 0)
	return slices.Clip(g.nodes)
}

// split grows the node over rows[lo:hi] and returns its index.
func (g *etGrower) split(lo, hi, depth int) int32 {
	all, pos := hi-lo, 0
	for _, r := range g.rows[lo:hi] {
		if g.y[r] {
			pos++
		}
	}
	me := int32(len(g.nodes))
	g.nodes = append(g.nodes, fnode{feat: -1, v: float64(pos) / float64(all)})
	if pos == 0 || pos == all || (g.maxDepth > 0 && depth >= g.maxDepth) || all < 2*g.minLeaf {
		return me
	}
	best, bestFeat, bestThr := math.Inf(-1), -1, 0.0
	// Features in random order; as in scikit-learn, a feature constant in
	// the node does not count towards mtry.
	tried := 0
	for k := 0; k < g.d && tried < g.mtry; k++ {
		j := k + g.rng.IntN(g.d-k)
		g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
		f := g.feats[k]
		col := g.x[f*g.n : (f+1)*g.n]
		a, b := math.Inf(1), math.Inf(-1)
		for _, r := range g.rows[lo:hi] {
			a, b = min(a, col[r]), max(b, col[r])
		}
		if a == b {
			continue
		}
		tried++
		thr := randomThreshold(g.rng, a, b)
		pl, nl := 0, 0
		for _, r := range g.rows[lo:hi] {
			if col[r] <= thr {
				nl++
				if g.y[r] {
					pl++
				}
			}
		}
		nr := all - nl
		if nl < g.minLeaf || nr < g.minLeaf {
			continue
		}
		// Gini: maximise the sum over children of (pos^2 + neg^2) / rows.
		ql, pr := nl-pl, pos-pl
		qr := nr - pr
		v := float64(pl*pl+ql*ql)/float64(nl) + float64(pr*pr+qr*qr)/float64(nr)
		if v > best {
			best, bestFeat, bestThr = v, f, thr
		}
	}
	if bestFeat < 0 {
		return me
	}
	col := g.x[bestFeat*g.n : (bestFeat+1)*g.n]
	i, j := lo, hi-1
	for i <= j {
		if col[g.rows[i]] <= bestThr {
			i++
		} else {
			g.rows[i], g.rows[j] = g.rows[j], g.rows[i]
			j--
		}
	}
	g.split(lo, i, depth+1) // the left child is the next node (preorder)
	r := g.split(i, hi, depth+1)
	g.nodes[me].feat, g.nodes[me].v, g.nodes[me].right = int32(bestFeat), bestThr, r
	return me
}

// randomThreshold draws a threshold t uniformly with a <= t < b (a < b), a
// float32 where rounding to one keeps it there (4 bytes in the model
// file): the values <= t go left, so both sides of the split hold a row.
func randomThreshold(rng *rand.Rand, a, b float64) float64 {
	u := rng.Float64()
	t := a + u*(b-a)
	if !(t >= a && t < b) { // b-a overflowed, or rounding at the ends
		t = a*(1-u) + b*u
	}
	if !(t >= a && t < b) {
		t = a
	}
	if f := float64(float32(t)); a <= f && f < b {
		return f
	}
	return t
}
