package classify

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ParamKind is the type of a classifier parameter.
type ParamKind string

// Parameter kinds. In Go an int parameter is an int, a float one a float64
// (an int is accepted) and an ints one a []int (one int is accepted); as
// text (see [ParseParams]) ints are comma-separated, e.g. hidden=64,32.
const (
	ParamInt   ParamKind = "int"
	ParamFloat ParamKind = "float"
	ParamInts  ParamKind = "ints"
)

// ParamSpec describes one parameter of a classifier: what [New] accepts and
// what a command lists in its help.
type ParamSpec struct {
	Name    string
	Kind    ParamKind
	Default any // the value used when the parameter is not given: int, float64 or []int
	Help    string
	// Min is the smallest value allowed (of every element, for ints);
	// with MinExclusive the value must be above it.
	Min          float64
	MinExclusive bool
}

// String is the spec as one help line: "trees=100: trees in the forest (int >= 1)".
func (s ParamSpec) String() string {
	return fmt.Sprintf("%s: %s", s.setting(), s.describe())
}

func (s ParamSpec) setting() string  { return s.Name + "=" + formatParam(s.Default) }
func (s ParamSpec) describe() string { return fmt.Sprintf("%s (%s %s)", s.Help, s.Kind, s.rangeText()) }

func (s ParamSpec) rangeText() string {
	if s.MinExclusive {
		return "> " + formatParam(s.Min)
	}
	return ">= " + formatParam(s.Min)
}

type classifierEntry struct {
	params []ParamSpec
	// build makes the classifier from a value for every parameter, already
	// checked against params.
	build func(v paramValues) Classifier
}

// registry is the one place that says which classifiers exist and what
// parameters each takes: [New], [Params], [ParseParams] and the commands'
// help all read it, so a parameter cannot be accepted by one and unknown to
// another.
var registry = map[string]classifierEntry{
	"rf": {
		params: []ParamSpec{
			{Name: "trees", Kind: ParamInt, Default: 100, Min: 1, Help: "trees in the forest"},
			{Name: "max_features", Kind: ParamInt, Default: 0, Help: "features tried per split; 0 = floor(sqrt(features))"},
			{Name: "max_depth", Kind: ParamInt, Default: 0, Help: "maximum tree depth; 0 = unlimited"},
			{Name: "min_leaf", Kind: ParamInt, Default: 0, Help: "minimum (bootstrap-weighted) rows in a leaf; 0 = max(1, rows/4096), which bounds the model's size"},
			{Name: "workers", Kind: ParamInt, Default: 0, Help: "trees grown in parallel; 0 = GOMAXPROCS (the model is the same for any value)"},
		},
		build: func(v paramValues) Classifier {
			return Forest{Trees: v.int("trees"), MaxFeatures: v.int("max_features"), MaxDepth: v.int("max_depth"),
				MinLeaf: v.int("min_leaf"), Workers: v.int("workers")}
		},
	},
	"et": {
		params: []ParamSpec{
			{Name: "trees", Kind: ParamInt, Default: 100, Min: 1, Help: "trees in the forest"},
			{Name: "max_features", Kind: ParamInt, Default: 0, Help: "features tried per split; 0 = floor(sqrt(features))"},
			{Name: "max_depth", Kind: ParamInt, Default: 0, Help: "maximum tree depth; 0 = unlimited"},
			{Name: "min_leaf", Kind: ParamInt, Default: 1, Min: 1, Help: "minimum rows in a leaf"},
			{Name: "workers", Kind: ParamInt, Default: 0, Help: "trees grown in parallel; 0 = GOMAXPROCS (the model is the same for any value)"},
		},
		build: func(v paramValues) Classifier {
			return ExtraTrees{Trees: v.int("trees"), MaxFeatures: v.int("max_features"), MaxDepth: v.int("max_depth"),
				MinLeaf: v.int("min_leaf"), Workers: v.int("workers")}
		},
	},
	"gbdt": {
		params: []ParamSpec{
			{Name: "rounds", Kind: ParamInt, Default: 200, Min: 1, Help: "boosting rounds (trees)"},
			{Name: "learning_rate", Kind: ParamFloat, Default: 0.1, MinExclusive: true, Help: "shrinkage of each tree"},
			{Name: "max_depth", Kind: ParamInt, Default: 4, Min: 1, Help: "depth of each tree"},
			{Name: "min_leaf", Kind: ParamInt, Default: 5, Min: 1, Help: "minimum rows in a leaf"},
			{Name: "lambda", Kind: ParamFloat, Default: 1.0, MinExclusive: true, Help: "L2 penalty on leaf values"},
			{Name: "subsample", Kind: ParamFloat, Default: 0.8, MinExclusive: true, Help: "share of the rows drawn per round, at most 1"},
			{Name: "colsample", Kind: ParamFloat, Default: 0.8, MinExclusive: true, Help: "share of the features drawn per round, at most 1"},
			{Name: "bins", Kind: ParamInt, Default: 64, Min: 2, Help: "histogram bins per feature, at most 256"},
			{Name: "bags", Kind: ParamInt, Default: 3, Min: 1, Help: "boosted models averaged (in log-odds), each on its own row and feature draws"},
		},
		build: func(v paramValues) Classifier {
			return GBDT{Rounds: v.int("rounds"), LearningRate: v.float("learning_rate"), MaxDepth: v.int("max_depth"),
				MinLeaf: v.int("min_leaf"), Lambda: v.float("lambda"), Subsample: v.float("subsample"),
				ColSample: v.float("colsample"), Bins: v.int("bins"), Bags: v.int("bags")}
		},
	},
	"malaschitz": {
		params: []ParamSpec{
			{Name: "trees", Kind: ParamInt, Default: 100, Min: 1, Help: "trees in the forest"},
			{Name: "max_depth", Kind: ParamInt, Default: 0, Help: "maximum tree depth; 0 = the library's default (10)"},
			{Name: "min_leaf", Kind: ParamInt, Default: 0, Help: "leaf size; 0 = the library's default"},
		},
		build: func(v paramValues) Classifier {
			return Malaschitz{Trees: v.int("trees"), MaxDepth: v.int("max_depth"), LeafSize: v.int("min_leaf")}
		},
	},
	"logreg": {
		params: []ParamSpec{
			{Name: "lambda", Kind: ParamFloat, Default: 1.0, MinExclusive: true, Help: "L2 penalty on the weights"},
			{Name: "iter", Kind: ParamInt, Default: 25, Min: 1, Help: "Newton steps at most"},
		},
		build: func(v paramValues) Classifier { return LogReg{Lambda: v.float("lambda"), Iter: v.int("iter")} },
	},
	"mlp": {
		params: []ParamSpec{
			{Name: "hidden", Kind: ParamInts, Default: []int{32}, Min: 1, Help: "hidden layer sizes, e.g. 64,32"},
			{Name: "epochs", Kind: ParamInt, Default: 60, Min: 1, Help: "passes over the training set"},
			{Name: "batch", Kind: ParamInt, Default: 32, Min: 1, Help: "mini-batch size"},
			{Name: "lr", Kind: ParamFloat, Default: 0.005, MinExclusive: true, Help: "Adam step size"},
			{Name: "l2", Kind: ParamFloat, Default: 1e-4, MinExclusive: true, Help: "weight decay"},
		},
		build: func(v paramValues) Classifier {
			return MLP{Hidden: v.ints("hidden"), Epochs: v.int("epochs"), Batch: v.int("batch"), LR: v.float("lr"), L2: v.float("l2")}
		},
	},
	"kmeans": {
		params: []ParamSpec{
			{Name: "k", Kind: ParamInt, Default: 0, Help: "clusters; 0 = min(8, genuine rows / 10), at least 1"},
			{Name: "iter", Kind: ParamInt, Default: 50, Min: 1, Help: "Lloyd iterations at most"},
		},
		build: func(v paramValues) Classifier { return KMeans{K: v.int("k"), Iter: v.int("iter")} },
	},
}

// Names lists the registered classifiers, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func entryOf(name string) (classifierEntry, error) {
	e, ok := registry[name]
	if !ok {
		return e, fmt.Errorf("classifier %q: unknown (have %s)", name, strings.Join(Names(), ", "))
	}
	return e, nil
}

// Params returns the parameters classifier name takes, in a fixed order.
func Params(name string) ([]ParamSpec, error) {
	e, err := entryOf(name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(e.params), nil
}

// HasParam reports whether classifier name takes parameter param, e.g. so
// that a command passes its --trees only to the classifiers with trees.
func HasParam(name, param string) bool {
	e, ok := registry[name]
	return ok && slices.ContainsFunc(e.params, func(s ParamSpec) bool { return s.Name == param })
}

// ParamHelp lists every classifier's parameters with their defaults, one
// per line, for a command's --help:
//
//	logreg      lambda=1          L2 penalty on the weights (float > 0)
//	            iter=25           Newton steps at most (int >= 1)
func ParamHelp() string {
	var b strings.Builder
	for _, n := range Names() {
		for i, s := range registry[n].params {
			label := ""
			if i == 0 {
				label = n
			}
			fmt.Fprintf(&b, "  %-11s %-17s %s\n", label, s.setting(), s.describe())
		}
	}
	return b.String()
}

// New returns the classifier registered under name, configured by params
// (see [Params]; missing parameters take their defaults). An unknown
// parameter, a value of the wrong type or below its minimum is an error
// naming the classifier, the parameter and what it takes, so a typo or a
// parameter meant for another classifier is never ignored. Values are Go
// values (int, float64, []int); text is parsed by [ParseParams].
func New(name string, params map[string]any) (Classifier, error) {
	e, err := entryOf(name)
	if err != nil {
		return nil, err
	}
	v, err := e.values(name, params)
	if err != nil {
		return nil, err
	}
	return e.build(v), nil
}

// EffectiveParams returns every parameter of classifier name as text, the
// defaults filled in: what a model header records, so that the model says
// exactly how it was trained. [ParseParams] reads the text back.
func EffectiveParams(name string, params map[string]any) (map[string]string, error) {
	e, err := entryOf(name)
	if err != nil {
		return nil, err
	}
	v, err := e.values(name, params)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(v))
	for k, x := range v {
		out[k] = formatParam(x)
	}
	return out, nil
}

// ParseParams parses "name=value" settings (a command's repeated --param)
// for classifier name into values [New] takes. An unknown name, a value that
// does not parse or is out of range, a setting without "=" or a parameter
// given twice is an error naming it and listing what the classifier takes.
func ParseParams(name string, kv []string) (map[string]any, error) {
	e, err := entryOf(name)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(kv))
	for _, s := range kv {
		k, text, ok := strings.Cut(s, "=")
		k, text = strings.TrimSpace(k), strings.TrimSpace(text)
		if !ok || k == "" {
			return nil, fmt.Errorf("%s: parameter %q: want name=value (%s)", name, s, e.takes())
		}
		spec, err := e.spec(name, k)
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("%s: parameter %s given twice", name, k)
		}
		v, err := spec.parse(text)
		if err != nil {
			return nil, fmt.Errorf("%s: parameter %s=%s: %w", name, k, text, err)
		}
		if err := spec.check(v); err != nil {
			return nil, fmt.Errorf("%s: parameter %s=%s: %w", name, k, text, err)
		}
		out[k] = v
	}
	return out, nil
}

func (e classifierEntry) takes() string {
	names := make([]string, len(e.params))
	for i, s := range e.params {
		names[i] = s.Name
	}
	return "it takes " + strings.Join(names, ", ")
}

func (e classifierEntry) spec(name, param string) (ParamSpec, error) {
	for _, s := range e.params {
		if s.Name == param {
			return s, nil
		}
	}
	return ParamSpec{}, fmt.Errorf("%s: unknown parameter %q (%s)", name, param, e.takes())
}

// values checks params against the specs and fills in the defaults.
func (e classifierEntry) values(name string, params map[string]any) (paramValues, error) {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the first error is the same every time
	v := paramValues{}
	for _, k := range keys {
		spec, err := e.spec(name, k)
		if err != nil {
			return nil, err
		}
		x, err := spec.coerce(params[k])
		if err != nil {
			return nil, fmt.Errorf("%s: parameter %s = %v: %w", name, k, params[k], err)
		}
		if err := spec.check(x); err != nil {
			return nil, fmt.Errorf("%s: parameter %s = %v: %w", name, k, params[k], err)
		}
		v[k] = x
	}
	for _, s := range e.params {
		if _, ok := v[s.Name]; !ok {
			v[s.Name] = s.Default
		}
	}
	return v, nil
}

// coerce turns a Go value into the spec's kind: int, float64 or []int.
func (s ParamSpec) coerce(x any) (any, error) {
	i, isInt := asInt(x)
	switch s.Kind {
	case ParamInt:
		if isInt {
			return i, nil
		}
		if f, ok := x.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f), nil // a number decoded from JSON
		}
		return nil, fmt.Errorf("want an integer, not %T", x)
	case ParamFloat:
		if isInt {
			return float64(i), nil
		}
		switch f := x.(type) {
		case float64:
			return f, nil
		case float32:
			return float64(f), nil
		}
		return nil, fmt.Errorf("want a number, not %T", x)
	case ParamInts:
		if isInt {
			return []int{i}, nil
		}
		if l, ok := x.([]int); ok && len(l) > 0 {
			return slices.Clone(l), nil
		}
		return nil, fmt.Errorf("want one or more integers ([]int), not %T", x)
	}
	return nil, fmt.Errorf("unknown kind %q", s.Kind)
}

func asInt(x any) (int, bool) {
	switch n := x.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		if int64(int(n)) == n {
			return int(n), true
		}
	case uint32:
		return int(n), true
	}
	return 0, false
}

// parse reads the text form of a value of the spec's kind.
func (s ParamSpec) parse(text string) (any, error) {
	switch s.Kind {
	case ParamInt:
		n, err := strconv.Atoi(text)
		if err != nil {
			return nil, fmt.Errorf("want an integer")
		}
		return n, nil
	case ParamFloat:
		f, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("want a finite number")
		}
		return f, nil
	case ParamInts:
		var l []int
		for _, part := range strings.Split(text, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return nil, fmt.Errorf("want comma-separated integers, e.g. 64,32")
			}
			l = append(l, n)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unknown kind %q", s.Kind)
}

// check enforces the spec's minimum.
func (s ParamSpec) check(x any) error {
	var vals []float64
	switch v := x.(type) {
	case int:
		vals = []float64{float64(v)}
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("want a finite number")
		}
		vals = []float64{v}
	case []int:
		for _, n := range v {
			vals = append(vals, float64(n))
		}
	}
	for _, f := range vals {
		if f < s.Min || (s.MinExclusive && f == s.Min) {
			return fmt.Errorf("must be %s", s.rangeText())
		}
	}
	return nil
}

func formatParam(x any) string {
	switch v := x.(type) {
	case []int:
		parts := make([]string, len(v))
		for i, n := range v {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, ",")
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(x)
}

// paramValues holds a checked value for every parameter of a classifier.
type paramValues map[string]any

func (v paramValues) int(k string) int       { return v[k].(int) }
func (v paramValues) float(k string) float64 { return v[k].(float64) }
func (v paramValues) ints(k string) []int    { return slices.Clone(v[k].([]int)) }
