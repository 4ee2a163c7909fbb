package evaluate

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// Multi-seed runs. A run over several seeds repeats the whole evaluation
// once per seed (negatives drawn, forests grown and strict impostors chosen
// anew) and reports every figure as its mean and standard deviation over
// the seeds, beside the per-user spread (the mean over seeds of the
// standard deviation over users). Differences between two configurations
// are judged against the seed noise by a paired comparison over the same
// seeds (see [Paired]).

// NoiseFactor is the rule for "beyond the seed noise": a mean difference
// over seeds is beyond noise when its absolute value exceeds NoiseFactor
// standard errors (about a two-sided 95% test; with 10 seeds Student's t
// would ask for 2.26).
const NoiseFactor = 2

// SeedStat is one figure over several seeds: its value per seed (in the
// order of the run's seeds), their mean and their sample standard deviation
// (n-1 in the denominator; 0 for one seed).
type SeedStat struct {
	Mean   float64   `json:"mean"`
	SD     float64   `json:"sd"`
	Values []float64 `json:"values"`
}

// NewSeedStat returns the mean and sample standard deviation of values.
func NewSeedStat(values []float64) SeedStat {
	s := SeedStat{Values: values}
	switch len(values) {
	case 0:
		return s
	case 1:
		s.Mean = values[0]
		return s
	}
	s.Mean, s.SD = stat.MeanStdDev(values, nil)
	return s
}

// SeedSpread is a summary's figures over seeds (in a [WindowSummary] or a
// [SweepPoint] of a multi-seed run). For each seed the summary gives the
// mean over users and the standard deviation over users: MeanAUC.Mean ±
// MeanAUC.SD is the mean AUC with its seed noise, SDAUC.Mean the per-user
// spread.
type SeedSpread struct {
	Seeds        []int64  `json:"seeds"`
	MeanAUC      SeedStat `json:"mean_auc"`
	SDAUC        SeedStat `json:"sd_auc"`
	MeanEER      SeedStat `json:"mean_eer"`
	SDEER        SeedStat `json:"sd_eer,omitzero"`
	MeanAccuracy SeedStat `json:"mean_accuracy,omitzero"`
}

// Difference is a paired comparison of one figure between two
// configurations run with the same seeds (or between a configuration and a
// published value): the mean over seeds of B − A and its standard error.
type Difference struct {
	// Kind is "compare" (two results of `evaluate compare`), "sweep" (two
	// adjacent points of a sweep) or "published" (a result against the
	// published figure).
	Kind   string `json:"kind"`
	A      string `json:"a"` // the baseline
	B      string `json:"b"`
	Window int    `json:"window,omitempty"` // the window both are at, when they share one
	Metric string `json:"metric"`           // "mean_auc"
	// MeanDiff is the mean over seeds of B − A, SE its standard error (the
	// sample sd of the per-seed differences over sqrt(seeds)).
	MeanDiff    float64 `json:"mean_diff"`
	SE          float64 `json:"se"`
	Seeds       int     `json:"seeds"`
	BeyondNoise bool    `json:"beyond_noise"` // |MeanDiff| > NoiseFactor × SE
}

// Paired compares b with a seed by seed (a[i] and b[i] measured with the
// same seed; len(a) == len(b) >= 2): the mean of b[i] − a[i], its standard
// error and whether it is beyond the seed noise (|mean| > [NoiseFactor] ×
// SE). A difference that is the same at every seed has SE 0 and is beyond
// noise unless it is 0. For a published figure p, pass a = p repeated.
func Paired(a, b []float64) (mean, se float64, beyond bool) {
	if len(a) != len(b) || len(a) < 2 {
		return math.NaN(), math.NaN(), false
	}
	d := make([]float64, len(a))
	for i := range a {
		d[i] = b[i] - a[i]
	}
	m, sd := stat.MeanStdDev(d, nil)
	se = sd / math.Sqrt(float64(len(d)))
	return m, se, math.Abs(m) > NoiseFactor*se
}

// SeedRun is one seed's part of a multi-seed run, kept compact: results
// without ROC curves, sweep points, held-out results without curves and
// session scores.
type SeedRun struct {
	Seed     int64           `json:"seed"`
	Results  []Result        `json:"results,omitempty"`
	Sweeps   []SweepPoint    `json:"sweeps,omitempty"`
	Holdouts []HoldoutResult `json:"holdouts,omitempty"`
}

// MergeSeeds combines runs[i], made with seeds[i] (two or more, every run of
// the same configurations in the same order), into one run: its Results,
// Sweeps and Holdouts are those of the first seed (per-user details and
// curves), each summary carries its figures over all seeds (Seeds fields),
// PerSeed keeps every seed's figures without curves, and Differences holds
// the paired comparisons of results (compare) and adjacent sweep points.
// Thresholds are the first seed's.
func MergeSeeds(seeds []int64, runs []*Run) (*Run, error) {
	if len(seeds) != len(runs) || len(runs) < 2 {
		return nil, fmt.Errorf("merge seeds: %d seeds for %d runs, need two or more", len(seeds), len(runs))
	}
	first := runs[0]
	for k, r := range runs[1:] {
		if len(r.Results) != len(first.Results) || len(r.Sweeps) != len(first.Sweeps) || len(r.Holdouts) != len(first.Holdouts) {
			return nil, fmt.Errorf("merge seeds: seed %d's run has another shape than seed %d's", seeds[k+1], seeds[0])
		}
	}
	out := &Run{Manifest: first.Manifest, Thresholds: first.Thresholds, Seeds: seeds}
	for _, r := range runs {
		out.PerSeed = append(out.PerSeed, compactSeedRun(r, seeds))
	}
	for i := range first.Results {
		res := first.Results[i]
		res.Summary = append([]WindowSummary(nil), res.Summary...)
		for j := range res.Summary {
			w := res.Summary[j].Window
			per := make([]WindowSummary, len(runs))
			for k, r := range runs {
				s, ok := r.Results[i].Find(w)
				if !ok {
					return nil, fmt.Errorf("merge seeds: result %d has no window %d at seed %d", i, w, seeds[k])
				}
				per[k] = s
			}
			res.Summary[j].Seeds = windowSpread(seeds, per)
		}
		out.Results = append(out.Results, res)
	}
	for i, p := range first.Sweeps {
		per := make([]WindowSummary, len(runs))
		for k, r := range runs {
			q := r.Sweeps[i]
			if q.Trees != p.Trees || q.Window != p.Window || q.Value != p.Value {
				return nil, fmt.Errorf("merge seeds: sweep point %d differs between seeds %d and %d", i, seeds[0], seeds[k])
			}
			per[k] = WindowSummary{MeanAUC: q.MeanAUC, SDAUC: q.SDAUC, MeanEER: q.MeanEER}
		}
		sp := windowSpread(seeds, per)
		sp.SDEER, sp.MeanAccuracy = SeedStat{}, SeedStat{}
		p.Seeds = sp
		out.Sweeps = append(out.Sweeps, p)
	}
	for i := range first.Holdouts {
		h := first.Holdouts[i]
		per := make([]HoldoutResult, len(runs))
		for k, r := range runs {
			per[k] = r.Holdouts[i]
		}
		h.Seeds = holdoutSpread(seeds, per)
		out.Holdouts = append(out.Holdouts, h)
	}
	out.Differences = append(compareDifferences(runs), sweepDifferences(runs)...)
	return out, nil
}

// compactSeedRun is r without curves and session scores.
func compactSeedRun(r *Run, seeds []int64) SeedRun {
	sr := SeedRun{Seed: r.seed(seeds), Sweeps: r.Sweeps}
	for _, res := range r.Results {
		c := res
		c.Users = make([]UserResult, len(res.Users))
		for j, u := range res.Users {
			u.ROC = ROCCurve{}
			c.Users[j] = u
		}
		c.Summary = make([]WindowSummary, len(res.Summary))
		for j, s := range res.Summary {
			s.MeanROC = ROCCurve{}
			c.Summary[j] = s
		}
		sr.Results = append(sr.Results, c)
	}
	for _, h := range r.Holdouts {
		sr.Holdouts = append(sr.Holdouts, h.compact())
	}
	return sr
}

// seed is the seed r was run with, from its results.
func (r *Run) seed(seeds []int64) int64 {
	switch {
	case len(r.Results) > 0:
		return r.Results[0].Seed
	case len(r.Holdouts) > 0:
		return r.Holdouts[0].Seed
	}
	return r.Manifest.Seed
}

func windowSpread(seeds []int64, per []WindowSummary) *SeedSpread {
	get := func(f func(WindowSummary) float64) SeedStat {
		v := make([]float64, len(per))
		for k, s := range per {
			v[k] = f(s)
		}
		return NewSeedStat(v)
	}
	return &SeedSpread{Seeds: seeds,
		MeanAUC:      get(func(s WindowSummary) float64 { return s.MeanAUC }),
		SDAUC:        get(func(s WindowSummary) float64 { return s.SDAUC }),
		MeanEER:      get(func(s WindowSummary) float64 { return s.MeanEER }),
		SDEER:        get(func(s WindowSummary) float64 { return s.SDEER }),
		MeanAccuracy: get(func(s WindowSummary) float64 { return s.MeanAccuracy }),
	}
}

// ResultName names a result for differences and tables: the classifier and
// the preset where the result has one, "rf preset=improved".
func ResultName(r Result) string {
	s := r.Classifier
	if p, ok := r.Params["preset"]; ok {
		s += fmt.Sprintf(" preset=%v", p)
	}
	if s == "" {
		s = "result"
	}
	return s
}

// compareDifferences pairs the results of a compare run: each result with
// the first result of the same preset (another classifier) and with the
// first result of the same classifier (another preset), at every window.
func compareDifferences(runs []*Run) []Difference {
	first := runs[0].Results
	if len(first) < 2 {
		return nil
	}
	preset := func(r Result) string { return fmt.Sprint(r.Params["preset"]) }
	var out []Difference
	pair := func(a, b int) {
		for _, s := range first[a].Summary {
			w := s.Window
			va, vb := make([]float64, len(runs)), make([]float64, len(runs))
			for k, r := range runs {
				sa, okA := r.Results[a].Find(w)
				sb, okB := r.Results[b].Find(w)
				if !okA || !okB {
					return
				}
				va[k], vb[k] = sa.MeanAUC, sb.MeanAUC
			}
			m, se, beyond := Paired(va, vb)
			out = append(out, Difference{Kind: "compare", A: ResultName(first[a]), B: ResultName(first[b]), Window: w,
				Metric: "mean_auc", MeanDiff: m, SE: se, Seeds: len(runs), BeyondNoise: beyond})
		}
	}
	for b := range first {
		for a := range b {
			if preset(first[a]) == preset(first[b]) && first[a].Classifier != first[b].Classifier {
				pair(a, b)
				break
			}
		}
		for a := range b {
			if first[a].Classifier == first[b].Classifier && preset(first[a]) != preset(first[b]) {
				pair(a, b)
				break
			}
		}
	}
	return out
}

// sweepDifferences pairs adjacent points of a sweep along its axis: tree
// counts at each window (Param "trees"), or window sizes (Param "window").
func sweepDifferences(runs []*Run) []Difference {
	pts := runs[0].Sweeps
	if len(pts) < 2 {
		return nil
	}
	values := func(i int) []float64 {
		v := make([]float64, len(runs))
		for k, r := range runs {
			v[k] = r.Sweeps[i].MeanAUC
		}
		return v
	}
	var out []Difference
	// Points are in tree-count order, windows inside; the previous point of
	// the same window (trees axis) or the previous window (window axis).
	for i, p := range pts {
		prev := -1
		for j := i - 1; j >= 0; j-- {
			q := pts[j]
			if p.Param == "trees" && q.Window == p.Window && q.Trees != p.Trees {
				prev = j
				break
			}
			if p.Param == "window" && q.Trees == p.Trees && q.Window != p.Window {
				prev = j
				break
			}
		}
		if prev < 0 {
			continue
		}
		q := pts[prev]
		d := Difference{Kind: "sweep", Metric: "mean_auc", Seeds: len(runs)}
		if p.Param == "trees" {
			d.A, d.B, d.Window = "trees="+strconv.Itoa(q.Trees), "trees="+strconv.Itoa(p.Trees), p.Window
		} else {
			d.A, d.B = "window="+strconv.Itoa(q.Window), "window="+strconv.Itoa(p.Window)
		}
		d.MeanDiff, d.SE, d.BeyondNoise = Paired(values(prev), values(i))
		out = append(out, d)
	}
	return out
}

// PublishedDifference compares per-seed values with a published figure pub
// (measured once): the mean over seeds of value − pub, its standard error
// (the sample sd over seeds over sqrt(seeds)) and whether it is beyond the
// seed noise. It needs two or more values.
func PublishedDifference(pub float64, values []float64) (mean, se float64, beyond bool) {
	a := make([]float64, len(values))
	for i := range a {
		a[i] = pub
	}
	return Paired(a, values)
}
