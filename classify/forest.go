package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// ErrSingleClass: a training set with only genuine or only impostor rows.
var ErrSingleClass = errors.New("training set has a single class: need genuine and impostor rows")

// Forest is a random forest of CART trees (Gini impurity, bootstrap samples,
// MaxFeatures features tried per split, grown to MaxDepth/MinLeaf), written
// here rather than taken from github.com/malaschitz/randomForest because
// that library draws from the global math/rand in several goroutines and
// cannot be seeded: results here must be reproducible from --seed whatever
// GOMAXPROCS is. One seed per tree is drawn from the caller's rng before the
// trees are grown in parallel, so the forest is the same for any Workers.
type Forest struct {
	Trees       int // default 100
	MaxFeatures int // features tried per split; 0 = floor(sqrt(d))
	MaxDepth    int // 0 = unlimited
	MinLeaf     int // minimum rows (with bootstrap weight) in a leaf; 0 = auto, see AutoLeafRows
	Workers     int // 0 = GOMAXPROCS
}

// AutoLeafRows sets the leaf size of a [Forest] whose MinLeaf is 0: leaves
// of at least max(1, rows/AutoLeafRows) training rows. Up to 4096 rows (a
// user's training set from any published feature file, also with 4
// negatives per positive) trees grow to purity, as scikit-learn's do;
// beyond, the leaf size grows with the data, so the model stops growing
// with it. Trained on all of a Balabit user's actions (7 000 to 23 000
// rows, leaves of 1 to 5) a 100-tree model takes 0.53 MB on average and
// 0.87 MB at most (8.6 and 17.5 MB in format 1; 0.64 and 1.29 MB in format
// 2 with leaves of 1), at the same session AUC on held-out sessions.
const AutoLeafRows = 4096

// Name returns "rf".
func (Forest) Name() string { return "rf" }

// fnode is a node of a tree stored in preorder: an internal node's left
// child is the next node, its right child at index right. 16 bytes.
type fnode struct {
	// v is an internal node's threshold (go left when x[feat] <= v) or a
	// leaf's value, the genuine share of its (weighted) training rows.
	v     float64
	feat  int32 // -1 for a leaf
	right int32
}

// ForestModel is a fitted forest. Its thresholds are short float32 values
// where one separates the training rows as the midpoint did, and its leaf
// values are ratios of small integers: the model file holds a node in about
// 2 bytes (codec.go), and the loaded model is the saved one, bit for bit.
type ForestModel struct {
	Trees [][]fnode
	D     int
}

// Score is the mean over trees of the leaf's genuine share (as
// scikit-learn's predict_proba). It does not allocate. A NaN feature goes
// right.
func (m *ForestModel) Score(x []float64) float64 {
	s := 0.0
	for _, t := range m.Trees {
		s += leafValue(t, x)
	}
	return s / float64(len(m.Trees))
}

// leafValue walks tree t (nodes in preorder: the left child follows its
// parent) to the leaf x reaches and returns the leaf's value. A NaN
// feature goes right.
func leafValue(t []fnode, x []float64) float64 {
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

func (m *ForestModel) width() int { return m.D }

func validate(X [][]float64, genuine []bool) (d int, err error) {
	if len(X) == 0 || len(X) != len(genuine) {
		return 0, fmt.Errorf("training set: %d rows, %d labels", len(X), len(genuine))
	}
	d = len(X[0])
	pos := 0
	for i, row := range X {
		if len(row) != d {
			return 0, fmt.Errorf("training row %d has %d values, want %d", i, len(row), d)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("training row %d feature %d is %v", i, j, v)
			}
		}
		if genuine[i] {
			pos++
		}
	}
	if pos == 0 || pos == len(X) {
		return 0, ErrSingleClass
	}
	return d, nil
}

// Fit grows the forest.
func (f Forest) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
	d, err := validate(X, genuine)
	if err != nil {
		return nil, err
	}
	trees, mtry := forestShape(f.Trees, f.MaxFeatures, d)
	n := len(X)
	// Ranks per feature: equal values share a rank, so sorting a node by
	// rank sorts it by value, and ranks pack with the row index into one
	// uint64 that sorts fast.
	data := &forestData{n: n, d: d, y: genuine, x: make([]float64, n*d), rank: make([]uint32, n*d)}
	idx := make([]int, n)
	for j := 0; j < d; j++ {
		for i := range idx {
			idx[i] = i
			data.x[j*n+i] = X[i][j]
		}
		col := data.x[j*n : (j+1)*n]
		slices.SortFunc(idx, func(a, b int) int {
			switch {
			case col[a] < col[b]:
				return -1
			case col[a] > col[b]:
				return 1
			}
			return 0
		})
		r := uint32(0)
		for k, i := range idx {
			if k > 0 && col[i] != col[idx[k-1]] {
				r++
			}
			data.rank[j*n+i] = r
		}
	}
	minLeaf := f.MinLeaf
	if minLeaf <= 0 {
		minLeaf = max(1, n/AutoLeafRows)
	}
	grown, err := growTrees(ctx, rng, trees, f.Workers, func() func(*rand.Rand) []fnode {
		g := &grower{data: data, mtry: mtry, maxDepth: f.MaxDepth, minLeaf: minLeaf}
		return g.grow
	})
	if err != nil {
		return nil, err
	}
	return &ForestModel{Trees: grown, D: d}, nil
}

// forestShape resolves a forest's tree count (default 100) and the features
// tried per split (default floor(sqrt(d)), at most d).
func forestShape(trees, maxFeatures, d int) (int, int) {
	if trees <= 0 {
		trees = 100
	}
	if maxFeatures <= 0 {
		maxFeatures = max(1, int(math.Sqrt(float64(d))))
	}
	return trees, min(maxFeatures, d)
}

// growTrees draws one seed per tree from rng, in tree order, then grows the
// trees on workers goroutines (0 = GOMAXPROCS), each with its own grower
// from newGrower, tree t from a PCG seeded with (seed t, t): the trees are
// the same for any number of workers.
func growTrees(ctx context.Context, rng *rand.Rand, trees, workers int, newGrower func() func(*rand.Rand) []fnode) ([][]fnode, error) {
	seeds := make([]uint64, trees)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([][]fnode, trees)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, trees) {
		wg.Go(func() {
			grow := newGrower()
			for t := range next {
				out[t] = grow(rand.New(rand.NewPCG(seeds[t], uint64(t))))
			}
		})
	}
	for t := 0; t < trees && ctx.Err() == nil; t++ {
		next <- t
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

type forestData struct {
	n, d int
	x    []float64 // column-major
	rank []uint32  // column-major
	y    []bool
}

type grower struct {
	data     *forestData
	mtry     int
	maxDepth int
	minLeaf  int
	rng      *rand.Rand
	nodes    []fnode
	rows     []int32   // distinct bootstrap rows, partitioned by node
	w        []float64 // bootstrap weight per row
	keys     []uint64
	feats    []int
}

func (g *grower) grow(rng *rand.Rand) []fnode {
	d := g.data
	g.rng = rng
	if cap(g.w) < d.n {
		g.w = make([]float64, d.n)
		g.keys = make([]uint64, d.n)
		g.rows = make([]int32, 0, d.n)
		g.feats = make([]int, d.d)
	}
	g.w = g.w[:d.n]
	clear(g.w)
	for i := 0; i < d.n; i++ {
		g.w[rng.IntN(d.n)]++
	}
	g.rows = g.rows[:0]
	for i, w := range g.w {
		if w > 0 {
			g.rows = append(g.rows, int32(i))
		}
	}
	for j := range g.feats {
		g.feats[j] = j
	}
	g.nodes = make([]fnode, 0, 2*len(g.rows)/3+1)
	g.split(0, len(g.rows), 0)
	return slices.Clip(g.nodes)
}

// split grows the node over rows[lo:hi] and returns its index.
func (g *grower) split(lo, hi, depth int) int32 {
	d := g.data
	var wpos, wall float64
	for _, r := range g.rows[lo:hi] {
		wall += g.w[r]
		if d.y[r] {
			wpos += g.w[r]
		}
	}
	me := int32(len(g.nodes))
	g.nodes = append(g.nodes, fnode{feat: -1, v: wpos / wall})
	if wpos == 0 || wpos == wall || hi-lo < 2 || (g.maxDepth > 0 && depth >= g.maxDepth) || wall < float64(2*g.minLeaf) {
		return me
	}
	// Gini of a split: minimise wl*gini(l) + wr*gini(r), i.e. maximise
	// pl^2/wl + nl^2/wl + pr^2/wr + nr^2/wr.
	best, bestFeat, bestLo, bestHi := math.Inf(-1), -1, int32(0), int32(0)
	// Try features in random order; like scikit-learn, go past mtry while
	// no valid split has been found (constant features).
	tried := 0
	for k := 0; k < d.d && (tried < g.mtry || bestFeat < 0); k++ {
		j := k + g.rng.IntN(d.d-k)
		g.feats[k], g.feats[j] = g.feats[j], g.feats[k]
		f := g.feats[k]
		tried++
		keys := g.keys[:hi-lo]
		rank := d.rank[f*d.n : (f+1)*d.n]
		for i, r := range g.rows[lo:hi] {
			keys[i] = uint64(rank[r])<<32 | uint64(r)
		}
		slices.Sort(keys)
		if keys[0]>>32 == keys[len(keys)-1]>>32 {
			continue // constant in this node
		}
		var pl, wl float64
		for i := 0; i < len(keys)-1; i++ {
			r := int32(keys[i])
			wl += g.w[r]
			if d.y[r] {
				pl += g.w[r]
			}
			if keys[i]>>32 == keys[i+1]>>32 {
				continue
			}
			wr := wall - wl
			if wl < float64(g.minLeaf) || wr < float64(g.minLeaf) {
				continue
			}
			nl, pr := wl-pl, wpos-pl
			nr := wr - pr
			v := (pl*pl+nl*nl)/wl + (pr*pr+nr*nr)/wr
			if v > best {
				best, bestFeat, bestLo, bestHi = v, f, r, int32(keys[i+1])
			}
		}
	}
	if bestFeat < 0 {
		return me
	}
	// Partition rows[lo:hi] by the best split.
	col := d.x[bestFeat*d.n : (bestFeat+1)*d.n]
	bestThr := splitThreshold(col[bestLo], col[bestHi])
	i, j := lo, hi-1
	for i <= j {
		if col[g.rows[i]] <= bestThr {
			i++
		} else {
			g.rows[i], g.rows[j] = g.rows[j], g.rows[i]
			j--
		}
	}
	if i == lo || i == hi {
		return me // rounding put everything on one side
	}
	g.split(lo, i, depth+1) // the left child is the next node (preorder)
	r := g.split(i, hi, depth+1)
	g.nodes[me].feat, g.nodes[me].v, g.nodes[me].right = int32(bestFeat), bestThr, r
	return me
}

// splitThreshold returns a threshold t with a <= t < b, which separates
// the values up to a from those from b on (a < b) as the midpoint does, and
// is the float32 with the fewest significant bytes (2, 3 or 4) in [a, b),
// the nearest to the midpoint of those: the model file then holds it in 2
// to 4 bytes instead of 8 (codec.go), and the model is the same on its
// training rows. If no float32 lies in [a, b) it is the midpoint (or a,
// when a and b are adjacent float64 values and the midpoint rounds to b).
func splitThreshold(a, b float64) float64 {
	mid := a + (b-a)/2
	if mid >= b {
		mid = a
	}
	f := float32(mid)
	if math.IsInf(float64(f), 0) {
		f = float32(math.Copysign(math.MaxFloat32, mid))
	}
	bits := math.Float32bits(f)
	for _, drop := range []uint{16, 8, 0} {
		step := uint32(1) << drop
		lo := bits &^ (step - 1) // toward zero
		best, found := 0.0, false
		for _, c := range []uint32{lo - step, lo, lo + step} {
			if c>>31 != bits>>31 && c != 0 {
				continue // wrapped past zero into the other sign
			}
			t := float64(math.Float32frombits(c))
			if a <= t && t < b && !math.IsInf(t, 0) && !math.IsNaN(t) && (!found || math.Abs(t-mid) < math.Abs(best-mid)) {
				best, found = t, true
			}
		}
		if found {
			return best
		}
	}
	return mid
}
