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
