package classify

import (
	"context"
	"math/rand/v2"

	randomforest "github.com/malaschitz/randomForest"
)

// Malaschitz wraps github.com/malaschitz/randomForest, the forest the
// enterprise design named, for comparison only ("malaschitz"). It is NOT
// reproducible: the library has no seed and draws from the global
// math/rand in several goroutines, so two fits on the same data differ and
// rng is ignored. Its own JSON export also rounds the weights; here models
// are saved with encoding/gob, which keeps them exact. Use "rf" for results.
type Malaschitz struct {
	Trees    int // default 100
	MaxDepth int // 0 = the library's default
	LeafSize int // 0 = the library's default
}

// Name returns "malaschitz".
func (Malaschitz) Name() string { return "malaschitz" }

// MalaschitzModel is a fitted library forest.
type MalaschitzModel struct{ Forest *randomforest.Forest }

// Score is the library's vote share for the genuine class. The library's
// Vote does not change the forest, so Score is safe for concurrent use.
func (m *MalaschitzModel) Score(x []float64) float64 { return m.Forest.Vote(x)[1] }

// Fit trains the library's forest.
func (c Malaschitz) Fit(ctx context.Context, X [][]float64, genuine []bool, _ *rand.Rand) (Model, error) {
	if _, err := validate(X, genuine); err != nil {
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
	f.Data = randomforest.ForestData{} // the training rows are not part of the model
	return &MalaschitzModel{Forest: f}, nil
}
