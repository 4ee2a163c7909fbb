package classify

import (
	"context"
	"math/rand/v2"
)

// Classifier fits a per-user binary model: X holds feature vectors (rows),
// genuine[i] says whether row i is the user's own action. Randomness comes
// only from rng, so the same rng seed and data give the same model.
type Classifier interface {
	Name() string
	Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error)
}

// Model scores one feature vector: the probability that the action is the
// genuine user's, in [0, 1]. Score is safe for concurrent use.
type Model interface {
	Score(x []float64) float64
}

// Balanced returns a training set for one user: every row of own labelled
// genuine, and as many rows of others (all of them if fewer) drawn without
// replacement with rng, labelled impostor. Rows are shared, not copied.
func Balanced(own, others [][]float64, rng *rand.Rand) (X [][]float64, genuine []bool) {
	k := min(len(own), len(others))
	X = make([][]float64, 0, len(own)+k)
	genuine = make([]bool, 0, len(own)+k)
	for _, r := range own {
		X, genuine = append(X, r), append(genuine, true)
	}
	for _, j := range rng.Perm(len(others))[:k] {
		X, genuine = append(X, others[j]), append(genuine, false)
	}
	return X, genuine
}
