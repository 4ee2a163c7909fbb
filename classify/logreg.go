package classify

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// LogReg is L2-regularised logistic regression on standardised features,
// fitted by Newton's method (iteratively reweighted least squares): it is
// deterministic, so rng is not used.
type LogReg struct {
	Lambda float64 // L2 penalty on the weights (not the intercept); default 1
	Iter   int     // Newton steps; default 25
}

// Name returns "logreg".
func (LogReg) Name() string { return "logreg" }

// LogRegModel is a fitted logistic regression.
type LogRegModel struct {
	Scaler Scaler
	W      []float64 // weights of the standardised features
	B      float64   // intercept
}

// Score returns sigmoid(w·z + b) for the standardised x (0 if that is NaN,
// which only absurd values can cause: refused, never accepted).
func (m *LogRegModel) Score(x []float64) float64 {
	z := m.B
	for j, w := range m.W {
		z += w * (x[j] - m.Scaler.Mean[j]) / m.Scaler.Scale[j]
	}
	return failClosed(sigmoid(z))
}

func (m *LogRegModel) width() int { return len(m.W) }

// Fit fits the model.
func (l LogReg) Fit(ctx context.Context, X [][]float64, genuine []bool, _ *rand.Rand) (Model, error) {
	d, err := validate(X, genuine)
	if err != nil {
		return nil, err
	}
	lambda, iters := l.Lambda, l.Iter
	if lambda <= 0 {
		lambda = 1
	}
	if iters <= 0 {
		iters = 25
	}
	sc := FitScaler(X)
	Z := sc.applyAll(X)
	n, p := len(Z), d+1 // last coefficient: intercept
	beta := make([]float64, p)
	h := make([]float64, p*p)
	g := make([]float64, p)
	xi := make([]float64, p)
	xi[d] = 1
	for it := 0; it < iters; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(h)
		clear(g)
		for i := 0; i < n; i++ {
			copy(xi, Z[i])
			z := 0.0
			for j, v := range xi {
				z += beta[j] * v
			}
			pr := sigmoid(z)
			y := 0.0
			if genuine[i] {
				y = 1
			}
			w := pr * (1 - pr)
			for j, xj := range xi {
				g[j] += (pr - y) * xj
				row := h[j*p:]
				wx := w * xj
				for k := j; k < p; k++ {
					row[k] += wx * xi[k]
				}
			}
		}
		for j := 0; j < d; j++ {
			g[j] += lambda * beta[j]
			h[j*p+j] += lambda
		}
		h[d*p+d] += 1e-9
		for j := 0; j < p; j++ {
			for k := 0; k < j; k++ {
				h[j*p+k] = h[k*p+j]
			}
		}
		var step mat.VecDense
		if err := step.SolveVec(mat.NewSymDense(p, h), mat.NewVecDense(p, g)); err != nil {
			return nil, fmt.Errorf("logreg: Newton step: %w", err)
		}
		largest := 0.0
		for j := range beta {
			beta[j] -= step.AtVec(j)
			largest = max(largest, abs(step.AtVec(j)))
		}
		if largest < 1e-8 {
			break
		}
	}
	return &LogRegModel{Scaler: sc, W: beta[:d], B: beta[d]}, nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
