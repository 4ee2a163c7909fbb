package reports

import (
	"fmt"
	"strings"

	"github.com/mouseauth/mouseauth/evaluate"
)

// noiseRule says how differences are judged, in words, for tables and the
// report.
func noiseRule(seeds int) string {
	return fmt.Sprintf("paired over the same %d seeds: mean difference B − A and its standard error (sd of the per-seed differences / √%d); beyond noise when |mean diff| > %d SE",
		seeds, seeds, evaluate.NoiseFactor)
}

// seedsText names seeds compactly: "0-9" for a run of consecutive seeds,
// else the list.
func seedsText(seeds []int64) string {
	if len(seeds) == 0 {
		return ""
	}
	consecutive := true
	for i := 1; i < len(seeds); i++ {
		if seeds[i] != seeds[i-1]+1 {
			consecutive = false
			break
		}
	}
	if consecutive && len(seeds) > 2 {
		return fmt.Sprintf("%d-%d", seeds[0], seeds[len(seeds)-1])
	}
	parts := make([]string, len(seeds))
	for i, s := range seeds {
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, ",")
}
