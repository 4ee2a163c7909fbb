package classify

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Novelty is the novelty gate: a k-nearest-neighbour detector fitted on
// the user's training rows. A vector is standardized per feature (asinh
// transform, see asinhScales, then minus the median and over the
// interquartile range of the training rows, robust to their outliers); its
// novelty is the Euclidean distance to its K-th nearest reference row over
// Threshold, the Quantile of the same distance for the reference rows
// themselves, each left out of its own neighbours. A genuine vector is
// novel (above 1) with about probability 1 - Quantile; a vector unlike
// every training row, whatever the classifier makes of it, is novel.
//
// Reference rows are the training rows (a random subset of MaxRef where
// there are more), kept standardized in float32: a model file holds them,
// so a model is as sensitive as the rows it was trained on (see
// docs/threat-model in the README).
type Novelty struct {
	K         int
	Quantile  float64
	Threshold float64
	Scale     []float64 // asinh scale per feature
	Center    []float64 // median of the transformed training rows
	Spread    []float64 // their interquartile range, > 0
	Ref       []float32 // reference rows, standardized, row after row
}

// NoveltySettings configure [FitNovelty].
type NoveltySettings struct {
	K        int     // neighbours; default 5
	Quantile float64 // of the leave-one-out distances; default 0.995
	MaxRef   int     // reference rows kept at most; default 512
}

func (s NoveltySettings) withDefaults() NoveltySettings {
	if s.K <= 0 {
		s.K = 5
	}
	if s.Quantile <= 0 {
		s.Quantile = 0.995
	}
	if s.MaxRef <= 0 {
		s.MaxRef = 512
	}
	return s
}

// maxK bounds Novelty.K (Score keeps the K best on the stack).
const maxK = 32

// FitNovelty fits the gate on rows (the user's training rows); rng picks
// the reference rows when there are more than s.MaxRef. It needs more than
// K rows.
func FitNovelty(rows [][]float64, s NoveltySettings, rng *rand.Rand) (*Novelty, error) {
	s = s.withDefaults()
	if s.K > maxK || !(s.Quantile > 0 && s.Quantile <= 1) {
		return nil, fmt.Errorf("novelty: k = %d (at most %d), quantile %v (in (0, 1])", s.K, maxK, s.Quantile)
	}
	if len(rows) <= s.K {
		return nil, fmt.Errorf("novelty: %d rows, need more than k = %d", len(rows), s.K)
	}
	d := len(rows[0])
	n := &Novelty{K: s.K, Quantile: s.Quantile, Scale: asinhScales(rows)}
	tr := make([][]float64, len(rows))
	for i, r := range rows {
		tr[i] = make([]float64, d)
		for j, v := range r {
			tr[i][j] = math.Asinh(v / n.Scale[j])
		}
	}
	n.Center, n.Spread = make([]float64, d), make([]float64, d)
	col := make([]float64, len(rows))
	for j := range d {
		for i := range tr {
			col[i] = tr[i][j]
		}
		slices.Sort(col)
		n.Center[j] = quantileSorted(col, 0.5)
		n.Spread[j] = quantileSorted(col, 0.75) - quantileSorted(col, 0.25)
		if !(n.Spread[j] > 0) {
			// A feature (almost) constant in the rows: a unit of the
			// transformed scale, so a different value counts but does
			// not swamp the others.
			n.Spread[j] = 1
		}
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	if len(idx) > s.MaxRef {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		idx = idx[:s.MaxRef]
		slices.Sort(idx)
	}
	n.Ref = make([]float32, 0, len(idx)*d)
	for _, i := range idx {
		for j := range d {
			n.Ref = append(n.Ref, float32((tr[i][j]-n.Center[j])/n.Spread[j]))
		}
	}
	// Leave-one-out distances of the reference rows.
	loo := make([]float64, len(idx))
	z := make([]float64, d)
	for r := range idx {
		for j := range d {
			z[j] = float64(n.Ref[r*d+j])
		}
		loo[r] = n.kth(z, r)
	}
	slices.Sort(loo)
	n.Threshold = quantileSorted(loo, s.Quantile)
	if !(n.Threshold > 0) {
		// Reference rows that coincide: any distance at all is novel.
		n.Threshold = math.SmallestNonzeroFloat64
	}
	return n, nil
}

// Score returns x's novelty: the distance to its K-th nearest reference
// row over the threshold. It allocates nothing for up to 64 features.
func (n *Novelty) Score(x []float64) float64 {
	var buf [64]float64
	var z []float64
	if len(x) <= len(buf) {
		z = buf[:len(x)]
	} else {
		z = make([]float64, len(x))
	}
	for j, v := range x {
		z[j] = (math.Asinh(v/n.Scale[j]) - n.Center[j]) / n.Spread[j]
	}
	return n.kth(z, -1) / n.Threshold
}

// kth returns the distance from z to its K-th nearest reference row,
// leaving row skip out. A row's sum stops as soon as it exceeds the K-th
// best so far.
func (n *Novelty) kth(z []float64, skip int) float64 {
	d := len(z)
	var best [maxK]float64 // squared distances, ascending
	k := n.K
	for i := range k {
		best[i] = math.Inf(1)
	}
	rows := len(n.Ref) / d
	for r := range rows {
		if r == skip {
			continue
		}
		ref := n.Ref[r*d : r*d+d]
		limit := best[k-1]
		var s float64
		for j, v := range ref {
			e := z[j] - float64(v)
			s += e * e
			if s >= limit {
				break
			}
		}
		if s >= limit {
			continue
		}
		i := k - 1
		for i > 0 && best[i-1] > s {
			best[i] = best[i-1]
			i--
		}
		best[i] = s
	}
	return math.Sqrt(best[k-1])
}

// validate checks n against a schema of width features.
func (n *Novelty) validate(width int) error {
	if n.K < 1 || n.K > maxK {
		return fmt.Errorf("novelty: k = %d, want 1 to %d", n.K, maxK)
	}
	if !(n.Quantile > 0 && n.Quantile <= 1) || !finite(n.Threshold) || !(n.Threshold > 0) {
		return fmt.Errorf("novelty: quantile %v, threshold %v", n.Quantile, n.Threshold)
	}
	if len(n.Scale) != width || len(n.Center) != width || len(n.Spread) != width {
		return fmt.Errorf("novelty: %d scales, %d centres, %d spreads for %d features", len(n.Scale), len(n.Center), len(n.Spread), width)
	}
	for j := range width {
		if !finite(n.Scale[j]) || !(n.Scale[j] > 0) || !finite(n.Center[j]) || !finite(n.Spread[j]) || !(n.Spread[j] > 0) {
			return fmt.Errorf("novelty: feature %d: scale %v, centre %v, spread %v", j+1, n.Scale[j], n.Center[j], n.Spread[j])
		}
	}
	if len(n.Ref)%width != 0 || len(n.Ref)/width <= n.K {
		return fmt.Errorf("novelty: %d reference values for %d features and k = %d", len(n.Ref), width, n.K)
	}
	for i, v := range n.Ref {
		if f := float64(v); !finite(f) {
			return fmt.Errorf("novelty: reference value %d is %v", i, v)
		}
	}
	return nil
}

// The guard section of a model file: empty for no gate, else a tag byte
// (1: the k-NN gate of this file), uvarint K, float64 Quantile and
// Threshold, uvarint width, width float64 scales, centres and spreads,
// uvarint reference row count, then rows*width float32 values.
const noveltyKNN = 1

func encodeNovelty(n *Novelty) []byte {
	if n == nil {
		return nil
	}
	e := &enc{b: []byte{noveltyKNN}}
	e.uvarint(uint64(n.K))
	e.f64(n.Quantile)
	e.f64(n.Threshold)
	e.uvarint(uint64(len(n.Scale)))
	e.f64s(n.Scale)
	e.f64s(n.Center)
	e.f64s(n.Spread)
	rows := 0
	if w := len(n.Scale); w > 0 {
		rows = len(n.Ref) / w
	}
	e.uvarint(uint64(rows))
	for _, v := range n.Ref {
		e.b = binary.BigEndian.AppendUint32(e.b, math.Float32bits(v))
	}
	return e.b
}

// decodeNovelty decodes and validates a guard section for a schema of
// width features; nil for an empty one.
func decodeNovelty(p []byte, width int) (*Novelty, error) {
	if len(p) == 0 {
		return nil, nil
	}
	d := &dec{p: p}
	if tag := d.u8(); tag != noveltyKNN {
		return nil, fmt.Errorf("unknown novelty gate %d", tag)
	}
	n := &Novelty{K: d.count("k", 1)}
	n.Quantile = d.finite("quantile")
	n.Threshold = d.finite("threshold")
	if w := d.uvarint(); d.err == nil && w != uint64(width) {
		d.fail("the gate is for %d features, the schema names %d", w, width)
	}
	n.Scale = d.finites("scale", width)
	n.Center = d.finites("centre", width)
	n.Spread = d.finites("spread", width)
	rows := d.count("reference rows", 4*max(width, 1))
	if d.err != nil {
		return nil, d.err
	}
	n.Ref = make([]float32, rows*width)
	for i := range n.Ref {
		n.Ref[i] = math.Float32frombits(d.u32())
	}
	d.end()
	if d.err != nil {
		return nil, d.err
	}
	if err := n.validate(width); err != nil {
		return nil, err
	}
	return n, nil
}
