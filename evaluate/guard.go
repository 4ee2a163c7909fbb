package evaluate

import (
	"fmt"
	"sort"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/preprocess"
)

// ModelBounds returns the physical bounds (preprocess.PhysicalBounds) of
// a model whose features are names, made by extractor under convention,
// as the model records them; nil when they are not known: an extractor
// other than mouseauth's or the published one, an unknown convention, or
// names that are not mouseauth's (the published DFL files name their
// columns their own way, in milliseconds, with a max_a column that repeats
// min_a: no bounds are claimed for them).
func ModelBounds(names []string, extractor, convention string) *classify.Bounds {
	if extractor != preprocess.ExtractorID && extractor != preprocess.PublishedExtractor {
		return nil
	}
	c, ok := preprocess.ParseCompat(convention)
	if !ok || convention == "" {
		return nil
	}
	p := preprocess.PhysicalBounds(c)
	lo, hi, integral, values, rels, found := p.Columns(names)
	if found < len(names) {
		return nil
	}
	b := &classify.Bounds{Lo: lo, Hi: hi, Integral: integral, Tol: p.Tol}
	for _, k := range sortedKeys(values) {
		b.Values = append(b.Values, classify.Allowed{Feature: k, Values: values[k]})
	}
	for _, r := range rels {
		cr := classify.Relation{Name: r.Name, Max: r.Max}
		for _, t := range r.Terms {
			cr.Terms = append(cr.Terms, classify.Term{Feature: t.Feature, Coef: t.Coef})
		}
		b.Relations = append(b.Relations, cr)
	}
	return b
}

func sortedKeys(m map[int][]float64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// ModelGates is the [GateFactory] of the models the presets train, as the
// live scorer applies them (classify.SavedModel.Check): the features'
// physical bounds ([ModelBounds]; none for a published file whose columns
// are not mouseauth's) flag a vector Implausible, the user's range (the
// preset's classify.FitRange of the user's training rows, clipped to the
// bounds) flags it Novel. A preset without a range gets the bounds only.
func ModelGates(d GateData) (Gate, error) {
	t := d.Preset.Train()
	m := &classify.SavedModel{Header: classify.Header{FeatureNames: d.Names,
		Bounds: ModelBounds(d.Names, d.Extractor, d.Convention)}}
	if t.Guard.Range {
		r, err := classify.FitRange(d.Train, t.Guard.RangeMargin, m.Header.Bounds)
		if err != nil {
			return nil, fmt.Errorf("range of %s: %w", d.User, err)
		}
		m.Header.Range = r
	}
	return modelGate{m}, nil
}

// modelGate is a model's guard as a [Gate]. SavedModel.Check only reads
// the header: safe for concurrent use.
type modelGate struct{ m *classify.SavedModel }

func (g modelGate) Check(x []float64) decide.Flags {
	c := g.m.Check(x)
	return decide.GateFlags(c.Implausible, c.Novel)
}
