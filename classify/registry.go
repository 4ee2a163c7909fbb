package classify

import (
	"fmt"
	"sort"
)

// New returns the classifier registered under name, configured by params.
// Parameters (all ints unless said): rf: trees, max_features, max_depth,
// min_leaf, workers; malaschitz: trees, max_depth, min_leaf; logreg: iter,
// lambda (float); mlp: hidden (one size), epochs, batch; kmeans: k, iter.
// Unknown parameters are an error, so a typo is not ignored.
func New(name string, params map[string]any) (Classifier, error) {
	p := paramReader{name: name, params: params}
	var c Classifier
	switch name {
	case "rf":
		c = Forest{Trees: p.int("trees"), MaxFeatures: p.int("max_features"), MaxDepth: p.int("max_depth"),
			MinLeaf: p.int("min_leaf"), Workers: p.int("workers")}
	case "malaschitz":
		c = Malaschitz{Trees: p.int("trees"), MaxDepth: p.int("max_depth"), LeafSize: p.int("min_leaf")}
	case "logreg":
		c = LogReg{Lambda: p.float("lambda"), Iter: p.int("iter")}
	case "mlp":
		m := MLP{Epochs: p.int("epochs"), Batch: p.int("batch")}
		if h := p.int("hidden"); h > 0 {
			m.Hidden = []int{h}
		}
		c = m
	case "kmeans":
		c = KMeans{K: p.int("k"), Iter: p.int("iter")}
	default:
		return nil, fmt.Errorf("classifier %q: unknown (have %v)", name, Names())
	}
	if p.err != nil {
		return nil, p.err
	}
	for k := range params {
		if !p.used[k] {
			return nil, fmt.Errorf("%s: unknown parameter %q", name, k)
		}
	}
	return c, nil
}

// Names lists the registered classifiers.
func Names() []string {
	names := []string{"kmeans", "logreg", "malaschitz", "mlp", "rf"}
	sort.Strings(names)
	return names
}

type paramReader struct {
	name   string
	params map[string]any
	used   map[string]bool
	err    error
}

func (p *paramReader) get(k string) (any, bool) {
	if p.used == nil {
		p.used = map[string]bool{}
	}
	v, ok := p.params[k]
	if ok {
		p.used[k] = true
	}
	return v, ok
}

func (p *paramReader) int(k string) int {
	v, ok := p.get(k)
	if !ok {
		return 0
	}
	n, ok := v.(int)
	if !ok && p.err == nil {
		p.err = fmt.Errorf("%s: parameter %s = %v: want an integer", p.name, k, v)
	}
	return n
}

func (p *paramReader) float(k string) float64 {
	v, ok := p.get(k)
	if !ok {
		return 0
	}
	switch f := v.(type) {
	case float64:
		return f
	case int:
		return float64(f)
	}
	if p.err == nil {
		p.err = fmt.Errorf("%s: parameter %s = %v: want a number", p.name, k, v)
	}
	return 0
}
