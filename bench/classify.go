package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// scikit-learn's random forest on DFL-500, single-threaded, 70/30 split
// (../shared/data/README.md): the peer of [RunClassify].
const (
	SklearnFitSeconds  = 0.174
	SklearnScoreMicros = 17.0
)

// ClassifyOptions configure [RunClassify].
type ClassifyOptions struct {
	Trees int // per forest
	Now   func() time.Time
	// Meter, when set, shows the fits' progress.
	Meter func(total int64, description, unit string) Meter
}

// ClassifyRow is one forest's mean figures over the users.
type ClassifyRow struct {
	Classifier string
	Cores      int
	Users      int
	TrainRows  int     // mean rows per fit
	FitSeconds float64 // mean per user
	ScoreMicro float64 // mean per action scored
}

// FitRatio is scikit-learn's fit time over this one's: above 1 is faster.
func (r ClassifyRow) FitRatio() float64 { return SklearnFitSeconds / r.FitSeconds }

// ScoreRatio is scikit-learn's scoring time over this one's.
func (r ClassifyRow) ScoreRatio() float64 { return SklearnScoreMicros / r.ScoreMicro }

// RunClassify trains, for every user of d, on the first 70% of the user's
// actions against as many other users' actions, times the fit, then times
// scoring the held-out actions one at a time; for mouseauth's forest on
// one core and on all cores, and for the malaschitz library's forest.
func RunClassify(ctx context.Context, d *preprocess.Table, o ClassifyOptions) ([]ClassifyRow, error) {
	if o.Trees < 1 {
		return nil, errors.New("bench: classify needs at least 1 tree")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	users, rows := d.ByUser()
	if len(users) < 2 {
		return nil, fmt.Errorf("bench: classify needs at least 2 users, the table has %d", len(users))
	}
	cases := []struct {
		label   string
		c       classify.Classifier
		workers int
	}{
		{"rf", classify.Forest{Trees: o.Trees, Workers: 1}, 1},
		{"rf", classify.Forest{Trees: o.Trees}, runtime.GOMAXPROCS(0)},
		{"malaschitz", classify.Malaschitz{Trees: o.Trees}, runtime.GOMAXPROCS(0)},
	}
	bar := meterOf(o.Meter, int64(len(users)*len(cases)), "bench classify", "fits")
	defer bar.Done()
	var out []ClassifyRow
	for _, cs := range cases {
		var fitSecs, scoreSecs float64
		var scored, trainRows int
		for ui, u := range users {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			own, others := classify.Split(d.Users, d.X, u)
			ntr := len(rows[u]) * 7 / 10
			tr, err := classify.TrainUser(ctx, cs.c, own[:ntr], others, rand.New(rand.NewPCG(uint64(ui), 42)),
				classify.TrainOptions{Now: o.Now})
			if err != nil {
				return out, fmt.Errorf("%s on %s: %w", cs.label, u, err)
			}
			trainRows += tr.Genuine + tr.Impostor
			fitSecs += tr.Seconds
			t0 := o.Now()
			s := 0.0
			for _, x := range own[ntr:] {
				s += tr.Model.Score(x)
			}
			scoreSecs += o.Now().Sub(t0).Seconds()
			scored += len(own) - ntr
			bar.Add(1)
		}
		n := len(users)
		out = append(out, ClassifyRow{Classifier: cs.label, Cores: cs.workers, Users: n, TrainRows: trainRows / n,
			FitSeconds: fitSecs / float64(n), ScoreMicro: scoreSecs / float64(scored) * 1e6})
	}
	return out, nil
}
