package evaluate

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Difference is a paired comparison of configuration B with A at one
// window size: the mean per-user AUC of B minus that of A. Each user's
// difference is averaged over the seeds both ran; Diff is their mean over
// users with its paired bootstrap interval over users, WilcoxonP the
// two-sided signed-rank p-value of the per-user differences. DeLong
// compares the pooled ROCs. A difference is called only where its interval
// excludes zero (IntervalExcludesZero).
type Difference struct {
	// Kind is "compare" (two results of `evaluate compare`), "best" (the
	// best configuration against another, for [Ranking]) or "published"
	// (a result against the published figure, see reports).
	Kind   string `json:"kind"`
	A      string `json:"a"` // the baseline
	B      string `json:"b"`
	Window int    `json:"window,omitempty"`
	Metric string `json:"metric"` // "mean_auc"
	Users  int    `json:"users"`
	Seeds  int    `json:"seeds"`
	// Diff is B − A with its 95% interval.
	Diff                 Estimate `json:"diff"`
	IntervalExcludesZero bool     `json:"interval_excludes_zero"`
	// WilcoxonP is null, with NA saying why, when no per-user difference
	// is non-zero.
	WilcoxonP *float64 `json:"wilcoxon_p"`
	// PooledDiff is the pooled AUC of B minus that of A (mean over seeds);
	// DeLong its test.
	PooledDiff *float64      `json:"pooled_diff,omitempty"`
	DeLong     *DeLongFigure `json:"delong,omitempty"`
	NA         string        `json:"na,omitempty"`
}

// DeLongFigure is DeLong's test of the pooled AUCs over the seeds: per seed
// paired (when both configurations scored the same windows) or unpaired;
// with several seeds the mean difference over its standard error, whose
// variance is the mean of the seeds' variances (conservative: the seeds
// share users and actions), and the normal p-value. DeLong takes windows
// as independent trials; overlapping windows (size > 1) are not, so read
// its p-value as a lower bound: the bootstrap over users is the test to
// trust.
type DeLongFigure struct {
	Z      float64 `json:"z"`
	P      float64 `json:"p"`
	Paired bool    `json:"paired"`
	Seeds  int     `json:"seeds"`
}

// Ranking is the best configuration by mean per-user AUC at one window
// (compare) or over every cell (sweep; Window 0), and which others cannot
// be told from it: those whose paired interval of the difference to the
// best includes zero.
type Ranking struct {
	Kind   string `json:"kind"` // "compare" or "sweep"
	Window int    `json:"window,omitempty"`
	Metric string `json:"metric"`
	Best   string `json:"best"`
	// Distinct is true when the best's difference to every other
	// configuration, the runner-up included, has an interval excluding
	// zero: only then is it called best (and set in bold).
	Distinct bool `json:"distinct"`
	// Ties names the configurations indistinguishable from the best.
	Ties []string `json:"ties,omitempty"`
	// Versus is the best against each other configuration (A is the other,
	// B the best: positive when the best is ahead).
	Versus []Difference `json:"versus,omitempty"`
}

// candidate is one configuration at one window size, as comparisons see
// it: its name, scores and per-user figures.
type candidate struct {
	name string
	set  *ScoreSet
	pu   perUser
	w    int
}

// compareCandidates compares b with a from their per-user figures; when
// both are at the same window, also their pooled ROCs (DeLong) for kind
// "compare".
func compareCandidates(a, b candidate, o StatsOptions, kind string) Difference {
	d := Difference{Kind: kind, A: a.name, B: b.name, Metric: "mean_auc", Seeds: len(a.set.Seeds)}
	if a.w == b.w {
		d.Window = a.w
	}
	if len(a.set.Seeds) != len(b.set.Seeds) {
		d.NA = fmt.Sprintf("%s ran %d seeds, %s %d: not paired", a.name, len(a.set.Seeds), b.name, len(b.set.Seeds))
		return d
	}
	ia := map[string]int{}
	for i, u := range a.pu.users {
		ia[u] = i
	}
	var diffs []float64
	var users []string
	for j, u := range b.pu.users {
		if i, ok := ia[u]; ok {
			diffs = append(diffs, b.pu.auc[j]-a.pu.auc[i])
			users = append(users, u)
		}
	}
	d.Users = len(diffs)
	if len(diffs) == 0 {
		d.NA = "no user in common"
		return d
	}
	d.Diff = BootstrapMean(diffs, o.resamples(), o.rng(fmt.Sprintf("%s|%s|%d|%d|diff", a.name, b.name, a.w, b.w)))
	d.IntervalExcludesZero = d.Diff.ExcludesZero()
	switch wr, err := Wilcoxon(diffs); {
	case len(diffs) < 2:
		d.NA = "one user: no interval over users and no signed-rank test"
	case err != nil:
		d.NA = "every per-user difference is zero: no signed-rank test"
	default:
		d.WilcoxonP = ptr(wr.P)
	}
	if kind == "compare" && a.w == b.w {
		d.PooledDiff, d.DeLong = delongSets(a.set, b.set, users, a.w)
	}
	return d
}

// delongSets runs DeLong's test per seed on the pooled windows of users and
// folds the seeds (see [DeLongFigure]).
func delongSets(a, b *ScoreSet, users []string, w int) (*float64, *DeLongFigure) {
	sa, sb := a.byUser(users), b.byUser(users)
	var diffs, vars []float64
	paired := true
	for k := range sa {
		var ga, ia, gb, ib []float64
		same := true
		for u := range users {
			x, y := sa[k][u], sb[k][u]
			same = same && slices.Equal(x.GenuineRows, y.GenuineRows) && len(x.ImpostorRows) == len(y.ImpostorRows)
			for s := range x.ImpostorRows {
				same = same && s < len(y.ImpostorRows) && slices.Equal(x.ImpostorRows[s], y.ImpostorRows[s])
			}
			wx, wy := windowsOf(x, w, a.Aggregate), windowsOf(y, w, b.Aggregate)
			ga, ia = append(ga, wx.gen...), append(ia, wx.imp...)
			gb, ib = append(gb, wy.gen...), append(ib, wy.imp...)
		}
		var r DeLongResult
		var err error
		if same && len(ga) == len(gb) && len(ia) == len(ib) {
			r, err = DeLongPaired(ga, ia, gb, ib)
		} else {
			paired = false
			r, err = DeLongUnpaired(ga, ia, gb, ib)
		}
		if err != nil {
			return nil, nil
		}
		diffs, vars = append(diffs, r.Diff), append(vars, r.SE*r.SE)
		if len(sa) == 1 {
			fig := &DeLongFigure{Paired: r.Paired, Seeds: 1}
			z, p := finite(r.Z), finite(r.P)
			if z == nil || p == nil {
				return ptr(r.Diff), nil
			}
			fig.Z, fig.P = *z, *p
			return ptr(r.Diff), fig
		}
	}
	var md, mv float64
	for k := range diffs {
		md += diffs[k] / float64(len(diffs))
		mv += vars[k] / float64(len(vars))
	}
	z, p := zTest(md, math.Sqrt(mv))
	if fz := finite(z); fz == nil {
		return ptr(md), nil
	}
	return ptr(md), &DeLongFigure{Z: z, P: p, Paired: paired, Seeds: len(diffs)}
}

// rank finds the best of cs by mean per-user AUC and compares it with
// every other; it returns the ranking and the best's index (-1 for none).
func rank(kind string, w int, cs []candidate, o StatsOptions) (Ranking, int) {
	best := -1
	var bestAUC float64
	for i, c := range cs {
		if len(c.pu.auc) == 0 {
			continue
		}
		if m := stat.Mean(c.pu.auc, nil); best < 0 || m > bestAUC {
			best, bestAUC = i, m
		}
	}
	r := Ranking{Kind: kind, Window: w, Metric: "mean_auc"}
	if best < 0 {
		return r, -1
	}
	r.Best = cs[best].name
	for i, c := range cs {
		if i == best || len(c.pu.auc) == 0 {
			continue
		}
		d := compareCandidates(c, cs[best], o, "best")
		if !d.IntervalExcludesZero {
			r.Ties = append(r.Ties, c.name)
		}
		r.Versus = append(r.Versus, d)
	}
	r.Distinct = len(r.Versus) > 0 && len(r.Ties) == 0
	return r, best
}
