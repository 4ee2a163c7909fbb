package classify

import (
	"context"
	"math"
	"math/rand/v2"
)

// MLP is a neural network with one or two hidden layers of tanh units and a
// sigmoid output, trained on standardised features by Adam on the binary
// cross-entropy with L2 weight decay, in mini-batches. Initial weights
// (Glorot uniform) and the shuffling of every epoch come from rng, so the
// same seed gives the same network.
type MLP struct {
	Hidden []int   // hidden layer sizes; default [32]
	Epochs int     // default 60
	Batch  int     // default 32
	LR     float64 // Adam step; default 0.005
	L2     float64 // weight decay; default 1e-4
}

// Name returns "mlp".
func (MLP) Name() string { return "mlp" }

// MLPModel is a fitted network: W[l] is layer l's weights, row-major
// (out x in), B[l] its biases.
type MLPModel struct {
	Scaler Scaler
	Sizes  []int // input, hidden..., 1
	W, B   [][]float64
}

// Score runs the network forward (0 if that gives NaN, see [LogRegModel.Score]).
func (m *MLPModel) Score(x []float64) float64 {
	a := m.Scaler.Apply(nil, x[:len(m.Scaler.Mean)])
	for l := range m.W {
		a = m.layer(l, a, nil)
	}
	return failClosed(a[0])
}

func (m *MLPModel) width() int { return m.Sizes[0] }

// layer computes layer l's activations from a into out (allocated if nil).
func (m *MLPModel) layer(l int, a, out []float64) []float64 {
	nOut, nIn := m.Sizes[l+1], m.Sizes[l]
	if out == nil {
		out = make([]float64, nOut)
	}
	last := l == len(m.W)-1
	for o := 0; o < nOut; o++ {
		z := m.B[l][o]
		w := m.W[l][o*nIn : (o+1)*nIn]
		for i, v := range a {
			z += w[i] * v
		}
		if last {
			out[o] = sigmoid(z)
		} else {
			out[o] = math.Tanh(z)
		}
	}
	return out
}

// Fit trains the network.
func (p MLP) Fit(ctx context.Context, X [][]float64, genuine []bool, rng *rand.Rand) (Model, error) {
	d, err := validate(X, genuine)
	if err != nil {
		return nil, err
	}
	hidden := p.Hidden
	if len(hidden) == 0 {
		hidden = []int{32}
	}
	epochs, batch, lr, l2 := p.Epochs, p.Batch, p.LR, p.L2
	if epochs <= 0 {
		epochs = 60
	}
	if batch <= 0 {
		batch = 32
	}
	if lr <= 0 {
		lr = 0.005
	}
	if l2 <= 0 {
		l2 = 1e-4
	}
	sc := FitScaler(X)
	Z := sc.applyAll(X)
	m := &MLPModel{Scaler: sc, Sizes: append(append([]int{d}, hidden...), 1)}
	L := len(m.Sizes) - 1
	m.W, m.B = make([][]float64, L), make([][]float64, L)
	gW, gB := make([][]float64, L), make([][]float64, L)
	mW, vW, mB, vB := make([][]float64, L), make([][]float64, L), make([][]float64, L), make([][]float64, L)
	for l := 0; l < L; l++ {
		nIn, nOut := m.Sizes[l], m.Sizes[l+1]
		lim := math.Sqrt(6 / float64(nIn+nOut))
		m.W[l] = make([]float64, nIn*nOut)
		for i := range m.W[l] {
			m.W[l][i] = (2*rng.Float64() - 1) * lim
		}
		m.B[l] = make([]float64, nOut)
		gW[l], gB[l] = make([]float64, nIn*nOut), make([]float64, nOut)
		mW[l], vW[l] = make([]float64, nIn*nOut), make([]float64, nIn*nOut)
		mB[l], vB[l] = make([]float64, nOut), make([]float64, nOut)
	}
	acts := make([][]float64, L+1)
	deltas := make([][]float64, L+1)
	for l := 1; l <= L; l++ {
		acts[l] = make([]float64, m.Sizes[l])
		deltas[l] = make([]float64, m.Sizes[l])
	}
	const b1, b2, eps = 0.9, 0.999, 1e-8
	step := 0
	order := make([]int, len(Z))
	for i := range order {
		order[i] = i
	}
	for ep := 0; ep < epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for s := 0; s < len(order); s += batch {
			idx := order[s:min(s+batch, len(order))]
			for l := 0; l < L; l++ {
				clear(gW[l])
				clear(gB[l])
			}
			for _, i := range idx {
				acts[0] = Z[i]
				for l := 0; l < L; l++ {
					m.layer(l, acts[l], acts[l+1])
				}
				y := 0.0
				if genuine[i] {
					y = 1
				}
				deltas[L][0] = acts[L][0] - y // sigmoid + cross-entropy
				for l := L - 1; l >= 0; l-- {
					nIn, nOut := m.Sizes[l], m.Sizes[l+1]
					for o := 0; o < nOut; o++ {
						dv := deltas[l+1][o]
						gB[l][o] += dv
						row := gW[l][o*nIn : (o+1)*nIn]
						for k, a := range acts[l] {
							row[k] += dv * a
						}
					}
					if l > 0 {
						for k := 0; k < nIn; k++ {
							sum := 0.0
							for o := 0; o < nOut; o++ {
								sum += m.W[l][o*nIn+k] * deltas[l+1][o]
							}
							a := acts[l][k]
							deltas[l][k] = sum * (1 - a*a) // tanh'
						}
					}
				}
			}
			step++
			nb := float64(len(idx))
			c1, c2 := 1-math.Pow(b1, float64(step)), 1-math.Pow(b2, float64(step))
			for l := 0; l < L; l++ {
				for k := range m.W[l] {
					g := gW[l][k]/nb + l2*m.W[l][k]
					mW[l][k] = b1*mW[l][k] + (1-b1)*g
					vW[l][k] = b2*vW[l][k] + (1-b2)*g*g
					m.W[l][k] -= lr * (mW[l][k] / c1) / (math.Sqrt(vW[l][k]/c2) + eps)
				}
				for k := range m.B[l] {
					g := gB[l][k] / nb
					mB[l][k] = b1*mB[l][k] + (1-b1)*g
					vB[l][k] = b2*vB[l][k] + (1-b2)*g*g
					m.B[l][k] -= lr * (mB[l][k] / c1) / (math.Sqrt(vB[l][k]/c2) + eps)
				}
			}
		}
	}
	return m, nil
}
