package evaluate

import "github.com/mouseauth/mouseauth/decide"

// Aggregate combines the action scores of one window into the window's
// score; it is [decide.Aggregate], so that the windows evaluated are the
// windows the live scorer's window rule judges.
type Aggregate = decide.Aggregate

// Aggregates (see [decide.Aggregate]).
const (
	AggMean    = decide.AggMean
	AggMedian  = decide.AggMedian
	AggTrimmed = decide.AggTrimmed
	AggLogOdds = decide.AggLogOdds
)

// LogOddsEps is [decide.LogOddsEps].
const LogOddsEps = decide.LogOddsEps

// ParseAggregate returns the named aggregate or an error listing the names.
func ParseAggregate(s string) (Aggregate, error) { return decide.ParseAggregate(s) }

// Windows returns the scores of all windows of w consecutive scores, moved
// one action at a time ([decide.Windows]): len(scores)-w+1 values, none
// when len(scores) < w. It panics if w < 1.
func Windows(scores []float64, w int, agg Aggregate) []float64 {
	return decide.Windows(scores, w, agg)
}
