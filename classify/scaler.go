package classify

import "math"

// Scaler standardises features to zero mean and unit variance, as fitted on
// a training set. A constant feature keeps scale 1 (it becomes 0).
type Scaler struct {
	Mean, Scale []float64
}

// FitScaler fits a Scaler on the rows of X.
func FitScaler(X [][]float64) Scaler {
	d := len(X[0])
	s := Scaler{Mean: make([]float64, d), Scale: make([]float64, d)}
	n := float64(len(X))
	for _, x := range X {
		for j, v := range x {
			s.Mean[j] += v / n
		}
	}
	for _, x := range X {
		for j, v := range x {
			s.Scale[j] += (v - s.Mean[j]) * (v - s.Mean[j]) / n
		}
	}
	for j, v := range s.Scale {
		s.Scale[j] = math.Sqrt(v)
		if s.Scale[j] == 0 {
			s.Scale[j] = 1
		}
	}
	return s
}

// Apply writes the standardised x into dst (allocated if nil) and returns it.
func (s Scaler) Apply(dst, x []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(x))
	}
	for j, v := range x {
		dst[j] = (v - s.Mean[j]) / s.Scale[j]
	}
	return dst
}

// applyAll standardises every row of X.
func (s Scaler) applyAll(X [][]float64) [][]float64 {
	out := make([][]float64, len(X))
	for i, x := range X {
		out[i] = s.Apply(nil, x)
	}
	return out
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// failClosed maps a NaN score to 0. A model that passed [Load] scores a
// finite vector of its width in [0, 1], but overflowing arithmetic on
// absurd values (Inf - Inf) can still give NaN: an authentication system
// must then refuse, not accept and not pass a NaN on.
func failClosed(s float64) float64 {
	if s != s {
		return 0
	}
	return s
}
