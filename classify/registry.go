package classify

import (
	"fmt"
	"sort"
)

// New returns the classifier registered under name, configured by params
// (for "rf": "trees", "max_features", "max_depth", "min_leaf", "workers",
// all ints). Unknown parameters are an error, so a typo is not ignored.
func New(name string, params map[string]any) (Classifier, error) {
	switch name {
	case "rf":
		var f Forest
		for k, v := range params {
			n, ok := v.(int)
			if !ok {
				return nil, fmt.Errorf("rf: parameter %s = %v: want an integer", k, v)
			}
			switch k {
			case "trees":
				f.Trees = n
			case "max_features":
				f.MaxFeatures = n
			case "max_depth":
				f.MaxDepth = n
			case "min_leaf":
				f.MinLeaf = n
			case "workers":
				f.Workers = n
			default:
				return nil, fmt.Errorf("rf: unknown parameter %q", k)
			}
		}
		return f, nil
	}
	return nil, fmt.Errorf("classifier %q: unknown (have %v)", name, Names())
}

// Names lists the registered classifiers.
func Names() []string {
	names := []string{"rf"}
	sort.Strings(names)
	return names
}
