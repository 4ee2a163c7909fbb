package interimrf

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mouseauth/mouseauth/classify"
)

// Forest is the classifier; Trees defaults to 100.
type Forest struct{ Trees int }

// New returns a forest of the given number of trees.
func New(trees int) Forest { return Forest{Trees: trees} }

// Name returns "rf".
func (Forest) Name() string { return "rf" }

type node struct {
	feat        int
	thr, value  float64
	left, right *node
}

// Fit grows f.Trees trees on bootstrap samples of X.
func (f Forest) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (classify.Model, error) {
	n := len(X)
	if n == 0 {
		return nil, errors.New("interimrf: no training rows")
	}
	d := len(X[0])
	mtry := max(1, int(math.Sqrt(float64(d))))
	var forest []*node
	trees := f.Trees
	if trees <= 0 {
		trees = 100
	}
	for range trees {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := make([]int, n)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		forest = append(forest, grow(X, genuine, idx, mtry, rng))
	}
	return forestModel(forest), nil
}

func grow(X [][]float64, y []bool, idx []int, mtry int, rng *rand.Rand) *node {
	pos := 0
	for _, i := range idx {
		if y[i] {
			pos++
		}
	}
	leaf := &node{feat: -1, value: float64(pos) / float64(len(idx))}
	if pos == 0 || pos == len(idx) || len(idx) < 2 {
		return leaf
	}
	d := len(X[0])
	perm := rng.Perm(d)
	bestGain, bestFeat, bestThr := 0.0, -1, 0.0
	n := float64(len(idx))
	parent := gini(float64(pos), n)
	tried := 0
	sorted := slices.Clone(idx)
	for _, j := range perm {
		if tried >= mtry {
			break
		}
		slices.SortFunc(sorted, func(a, b int) int {
			if X[a][j] < X[b][j] {
				return -1
			} else if X[a][j] > X[b][j] {
				return 1
			}
			return 0
		})
		if X[sorted[0]][j] == X[sorted[len(sorted)-1]][j] {
			continue // constant here: draw another feature, as scikit-learn does
		}
		tried++
		lp := 0.0
		for k := 0; k < len(sorted)-1; k++ {
			if y[sorted[k]] {
				lp++
			}
			a, b := X[sorted[k]][j], X[sorted[k+1]][j]
			if a == b {
				continue
			}
			ln := float64(k + 1)
			rn := n - ln
			g := parent - (ln/n)*gini(lp, ln) - (rn/n)*gini(float64(pos)-lp, rn)
			if g > bestGain {
				bestGain, bestFeat, bestThr = g, j, (a+b)/2
			}
		}
	}
	if bestFeat < 0 {
		return leaf
	}
	var l, r []int
	for _, i := range idx {
		if X[i][bestFeat] <= bestThr {
			l = append(l, i)
		} else {
			r = append(r, i)
		}
	}
	return &node{feat: bestFeat, thr: bestThr, left: grow(X, y, l, mtry, rng), right: grow(X, y, r, mtry, rng)}
}

func gini(pos, n float64) float64 {
	p := pos / n
	return 2 * p * (1 - p)
}

type forestModel []*node

// Score is the mean over trees of the genuine share of x's leaf.
func (m forestModel) Score(x []float64) float64 {
	var s float64
	for _, t := range m {
		for t.feat >= 0 {
			if x[t.feat] <= t.thr {
				t = t.left
			} else {
				t = t.right
			}
		}
		s += t.value
	}
	return s / float64(len(m))
}
