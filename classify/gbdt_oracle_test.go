package classify

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// fitOracle is gbdt's training as it was before issue 21 (each node's
// histograms built from its rows, column by column, no subtraction; the
// rows' log-odds updated by walking each tree on the float features): the
// exact path the fast one is checked against.
func (b GBDT) fitOracle(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
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
	g := &oracleGrower{b: b, n: n, d: d, bins: bins, cuts: cuts,
		grad: make([]float64, n), hess: make([]float64, n), hist: make([]oracleBin, d*256)}
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
				f[i] += oracleTreeValue(t, row)
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

func oracleTreeValue(t []fnode, x []float64) float64 {
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

type oracleBin struct {
	g, h float64
	n    int
}

type oracleGrower struct {
	b          GBDT
	n, d       int
	bins       []uint8
	cuts       [][]float64
	grad, hess []float64
	hist       []oracleBin
	rows       []int32
	feats      []int
	nodes      []fnode
}

func (g *oracleGrower) grow() []fnode {
	g.nodes = g.nodes[:0]
	g.split(0, len(g.rows), 0)
	return slices.Clone(g.nodes)
}

// split grows the node over rows[lo:hi] and returns its index.
func (g *oracleGrower) split(lo, hi, depth int) int32 {
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
