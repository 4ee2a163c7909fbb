package reports

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// setting is one named setting of a result: classifier, preset, protocol,
// aggregate, a classifier or evaluation parameter, or the seed.
type setting struct{ key, value string }

// settingsOf lists r's settings in the order labels name them: classifier,
// preset, protocol, aggregate, the other parameters by name, seed. Values
// are rounded for people ([formatValue]).
func settingsOf(r evaluate.Result) []setting {
	var out []setting
	add := func(k, v string) {
		if v != "" {
			out = append(out, setting{k, v})
		}
	}
	add("classifier", r.Classifier)
	if v, ok := r.Params["preset"]; ok {
		add("preset", formatValue(v))
	}
	add("protocol", r.Protocol)
	add("aggregate", r.Aggregate)
	keys := make([]string, 0, len(r.Params))
	for k := range r.Params {
		if k != "preset" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(k, formatValue(r.Params[k]))
	}
	add("seed", strconv.FormatInt(r.Seed, 10))
	return out
}

// formatValue rounds a parameter for people: whole numbers without
// decimals (run.json gives every number back as float64), others to three
// significant digits (train_fraction 0.667).
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "n/a"
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// showSetting is how a setting reads in a label: the classifier by its
// name, others as key=value.
func showSetting(s setting) string {
	if s.key == "classifier" {
		return s.value
	}
	return s.key + "=" + s.value
}

// resultNames is how each result of a run is named.
type resultNames struct {
	// Short names each result by what tells it apart from the others (for
	// legends and table rows): "preset=reference", "preset=improved".
	Short []string
	// Long adds the classifier, preset and protocol (for headings).
	Long []string
	// Common lists the settings every result shares, shown once.
	Common []setting
	// Differ lists, per result, the settings not shared by all.
	Differ [][]setting
}

// nameResults names results by the settings whose values differ between
// them. Of those, it takes keys in the order of [settingsOf] and keeps a key
// only if it splits results the keys before it did not: with presets
// reference and improved, "preset" is kept and the aggregate and column
// options the presets imply are not. Results that nothing tells apart get
// "#1", "#2", ... A single result is named by its classifier, preset and
// protocol.
func nameResults(results []evaluate.Result) resultNames {
	n := len(results)
	names := resultNames{Short: make([]string, n), Long: make([]string, n), Differ: make([][]setting, n)}
	if n == 0 {
		return names
	}
	sets := make([]map[string]string, n)
	var keys []string
	seen := map[string]bool{}
	for i, r := range results {
		sets[i] = map[string]string{}
		for _, s := range settingsOf(r) {
			sets[i][s.key] = s.value
			if !seen[s.key] {
				seen[s.key] = true
				keys = append(keys, s.key)
			}
		}
	}
	// Keys in label order across results: the named ones first, then the
	// other parameters by name, the seed last.
	rank := func(k string) int {
		switch k {
		case "classifier":
			return 0
		case "preset":
			return 1
		case "protocol":
			return 2
		case "aggregate":
			return 3
		case "seed":
			return 5
		}
		return 4
	}
	sort.SliceStable(keys, func(a, b int) bool {
		ra, rb := rank(keys[a]), rank(keys[b])
		if ra != rb {
			return ra < rb
		}
		return keys[a] < keys[b]
	})
	var differ []string
	for _, k := range keys {
		distinct := map[string]bool{}
		for i := range sets {
			distinct[sets[i][k]] = true
		}
		if len(distinct) > 1 {
			differ = append(differ, k)
		} else if v := sets[0][k]; v != "" {
			names.Common = append(names.Common, setting{k, v})
		}
	}
	for i := range sets {
		for _, k := range differ {
			if v := sets[i][k]; v != "" {
				names.Differ[i] = append(names.Differ[i], setting{k, v})
			}
		}
	}
	// Greedy refinement: group[i] identifies result i's class so far.
	group := make([]string, n)
	var chosen []string
	for _, k := range differ {
		// The preset is named whenever it differs (compare --presets
		// both: "rf, preset=published", not "rf"), the rest only where it
		// tells results apart the keys before it did not.
		if singletons(group) && k != "preset" {
			continue
		}
		split := false
		first := map[string]string{}
		for i := range sets {
			if v, ok := first[group[i]]; !ok {
				first[group[i]] = sets[i][k]
			} else if v != sets[i][k] {
				split = true
			}
		}
		if !split && k != "preset" {
			continue
		}
		chosen = append(chosen, k)
		for i := range group {
			group[i] += "\x00" + sets[i][k]
		}
	}
	identity := []string{"classifier", "preset", "protocol"}
	count := map[string]int{}
	for _, g := range group {
		count[g]++
	}
	nth := map[string]int{}
	for i := range sets {
		var short, long []string
		for _, k := range chosen {
			if v := sets[i][k]; v != "" {
				short = append(short, showSetting(setting{k, v}))
			}
		}
		for _, k := range keys {
			if v := sets[i][k]; v != "" && (slices.Contains(identity, k) || slices.Contains(chosen, k)) {
				long = append(long, showSetting(setting{k, v}))
			}
		}
		if n == 1 {
			short = long
		}
		if count[group[i]] > 1 {
			nth[group[i]]++
			tag := fmt.Sprintf("#%d", nth[group[i]])
			short = append(short, tag)
			long = append(long, tag)
		}
		if len(short) == 0 {
			short = []string{"result"}
		}
		if len(long) == 0 {
			long = short
		}
		names.Short[i] = strings.Join(short, ", ")
		names.Long[i] = strings.Join(long, ", ")
	}
	return names
}

func singletons(group []string) bool {
	seen := map[string]bool{}
	for _, g := range group {
		if seen[g] {
			return false
		}
		seen[g] = true
	}
	return true
}

// commonTitle is the shared classifier, preset and protocol of results, for
// figure titles: "rf, protocol=reference"; "" when none is shared.
func commonTitle(names resultNames) string {
	var parts []string
	for _, s := range names.Common {
		if s.key == "classifier" || s.key == "preset" || s.key == "protocol" {
			parts = append(parts, showSetting(s))
		}
	}
	return strings.Join(parts, ", ")
}
