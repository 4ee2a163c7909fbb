package classify

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"

	randomforest "github.com/malaschitz/randomForest"
)

// Malaschitz wraps github.com/malaschitz/randomForest, the forest the
// enterprise design named, for comparison only ("malaschitz"). It is NOT
// reproducible: the library has no seed and draws from the global
// math/rand in several goroutines, so two fits on the same data differ and
// rng is ignored. Its own JSON export also rounds the weights; here the
// fitted forest is flattened and saved exactly (see [MalaschitzModel]).
// Use "rf" for results.
type Malaschitz struct {
	Trees    int // default 100
	MaxDepth int // 0 = the library's default
	LeafSize int // 0 = the library's default
}

// Name returns "malaschitz".
func (Malaschitz) Name() string { return "malaschitz" }

// MalaschitzModel is a fitted library forest, flattened into preorder
// trees as [ForestModel]'s (a leaf holds the library's genuine share): it
// scores bit for bit as the library's Vote and is saved in the same
// compact, checked encoding (its thresholds and leaf values are stored
// exactly, in 8 bytes where a short float32 or a small ratio does not
// hold them).
type MalaschitzModel struct {
	Trees [][]fnode
	D     int
}

// Score is the library's vote share for the genuine class: the mean over
// trees of the leaf's genuine share, going left unless x[feat] > threshold
// (so a NaN goes left, as in the library).
func (m *MalaschitzModel) Score(x []float64) float64 {
	s := 0.0
	for _, t := range m.Trees {
		i := int32(0)
		for t[i].feat >= 0 {
			if !(x[t[i].feat] > t[i].v) {
				i++
			} else {
				i = t[i].right
			}
		}
		s += t[i].v
	}
	return s / float64(len(m.Trees))
}

func (m *MalaschitzModel) width() int { return m.D }

// flattenMalaschitz turns the library's forest of d features into preorder
// trees.
func flattenMalaschitz(f *randomforest.Forest, d int) (*MalaschitzModel, error) {
	m := &MalaschitzModel{D: d, Trees: make([][]fnode, len(f.Trees))}
	var walk func(b *randomforest.Branch, t []fnode) ([]fnode, error)
	walk = func(b *randomforest.Branch, t []fnode) ([]fnode, error) {
		if b == nil {
			return nil, errors.New("malaschitz: a branch without a child")
		}
		if b.IsLeaf {
			v := 0.0
			if len(b.LeafValue) > 1 {
				v = b.LeafValue[1]
			}
			return append(t, fnode{feat: -1, v: v}), nil
		}
		me := len(t)
		t = append(t, fnode{feat: int32(b.Attribute), v: b.Value})
		t, err := walk(b.Branch0, t)
		if err != nil {
			return nil, err
		}
		t[me].right = int32(len(t))
		return walk(b.Branch1, t)
	}
	for i := range f.Trees {
		t, err := walk(&f.Trees[i].Root, nil)
		if err != nil {
			return nil, err
		}
		m.Trees[i] = slices.Clip(t)
	}
	return m, nil
}

// Fit trains the library's forest.
func (c Malaschitz) Fit(ctx context.Context, X [][]float64, genuine []bool, _ *rand.Rand) (Model, error) {
	d, err := validate(X, genuine)
	if err != nil {
		return nil, err
	}
	trees := c.Trees
	if trees <= 0 {
		trees = 100
	}
	class := make([]int, len(genuine))
	for i, g := range genuine {
		if g {
			class[i] = 1
		}
	}
	f := &randomforest.Forest{Data: randomforest.ForestData{X: X, Class: class}, MaxDepth: c.MaxDepth, LeafSize: c.LeafSize}
	f.Train(trees)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return flattenMalaschitz(f, d)
}
