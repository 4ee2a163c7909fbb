package evaluate

import (
	"fmt"

	"gonum.org/v1/gonum/stat"
)

// Multi-seed runs. A run over several seeds repeats the whole evaluation
// once per seed (negatives drawn, forests grown and strict impostors chosen
// anew); every figure of its summaries is over all seeds (see
// [WindowStats]), and each seed's figures are kept beside ([SeedSpread],
// [SeedRun]).

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
	Seeds   []int64  `json:"seeds"`
	MeanAUC SeedStat `json:"mean_auc"`
	SDAUC   SeedStat `json:"sd_auc"`
	MeanEER SeedStat `json:"mean_eer"`
	SDEER   SeedStat `json:"sd_eer,omitzero"`
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
// curves), each summary carries every seed's figures (Seeds fields), and
// PerSeed keeps every seed's figures without curves. [Experiment] then
// replaces the summaries by their statistics over all seeds.
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
		sp.SDEER = SeedStat{}
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
		MeanAUC: get(func(s WindowSummary) float64 { return s.MeanAUC }),
		SDAUC:   get(func(s WindowSummary) float64 { return s.SDAUC }),
		MeanEER: get(func(s WindowSummary) float64 { return s.MeanEER }),
		SDEER:   get(func(s WindowSummary) float64 { return s.SDEER }),
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
