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

// RowFitter is a [Classifier] that fits on rows of a table prepared once
// for many fits: an evaluation fits one model per user on rows of one
// feature table (the user's own and negatives drawn from the others'), so
// what does not depend on the rows drawn, such as sorting each feature, is
// done once. A fit may also take rows that are not the table's, given as
// values (an evaluation's synthetic background negatives, [BackgroundRows]).
// FitRows returns the model Fit returns for the same rows in the same
// order.
type RowFitter interface {
	Classifier
	// Prepare checks X and prepares it; X is kept, not copied, and must
	// not change while the table is used.
	Prepare(X [][]float64) (Table, error)
	// FitRows fits on the rows of t at rows (each at most once) followed
	// by the rows extra: training row k is t's row rows[k] for k <
	// len(rows) and extra[k-len(rows)] after, labelled genuine[k].
	FitRows(ctx context.Context, t Table, rows []int, extra [][]float64, genuine []bool, rng *rand.Rand) (Model, error)
}

// Table is a feature table prepared by a [RowFitter].
type Table interface{ rowTable() }
