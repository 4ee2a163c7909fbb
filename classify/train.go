package classify

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"
)

// Per-user training: the one place that splits a user's rows from the
// others', draws the impostor negatives and derives the random streams.
// `mouseauth classify train`, the live service's enrolment and retraining
// (live/account), replay and the model-load bench all train through
// [TrainUser].
//
// The evaluation protocols (package evaluate) split chronologically, hold
// out test negatives and draw them with their own partial Fisher-Yates
// shuffle; sharing [Negatives] there would change their random stream and
// the published-figure reproductions, so they keep theirs.

// Split returns user's rows of X (own, genuine) and every other row
// (others), each in table order. users[i] labels X[i]. Rows are shared, not
// copied.
func Split(users []string, X [][]float64, user string) (own, others [][]float64) {
	for i, u := range users {
		if u == user {
			own = append(own, X[i])
		} else {
			others = append(others, X[i])
		}
	}
	return own, others
}

// Negatives returns a training set for one user: every row of own labelled
// genuine, then ratio*len(own) rows of others (all of them if fewer; ratio
// <= 0 means 1, as many as own) drawn without replacement with rng,
// labelled impostor. Rows are shared, not copied.
func Negatives(own, others [][]float64, ratio float64, rng *rand.Rand) (X [][]float64, genuine []bool) {
	if ratio <= 0 {
		ratio = 1
	}
	k := min(int(float64(len(own))*ratio), len(others))
	X = make([][]float64, 0, len(own)+k)
	genuine = make([]bool, 0, len(own)+k)
	for _, r := range own {
		X, genuine = append(X, r), append(genuine, true)
	}
	for _, j := range rng.Perm(len(others))[:k] {
		X, genuine = append(X, others[j]), append(genuine, false)
	}
	return X, genuine
}

// VersionRand returns the random stream of version of user's model under
// seed: PCG seeded from FNV-1a of "seed/user/version". The live service
// derives every enrolment and retraining from it, so a retraining is
// reproducible from the seed alone, whatever else was trained before.
func VersionRand(seed int64, user string, version int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d", seed, user, version)
	return rand.New(rand.NewPCG(h.Sum64(), 0x11fe))
}

// BatchRands returns one random stream per user for a batch training
// (`mouseauth classify train`): seeds drawn from a master stream of seed in
// sorted user order before any work, so a user's model does not depend on
// which other users are trained.
func BatchRands(seed int64, users []string) map[string]*rand.Rand {
	sorted := slices.Sorted(slices.Values(users))
	master := rand.New(rand.NewPCG(uint64(seed), 0x7a1))
	out := make(map[string]*rand.Rand, len(sorted))
	for _, u := range sorted {
		if _, dup := out[u]; !dup {
			out[u] = rand.New(rand.NewPCG(master.Uint64(), 1))
		}
	}
	return out
}

// TrainOptions configure [TrainUser].
type TrainOptions struct {
	// NegativeRatio is the number of impostor rows drawn per genuine row;
	// 0 means 1 (balanced).
	NegativeRatio float64
	// Background is the number of background negatives per genuine row
	// ([BackgroundRows]); 0: none.
	Background float64
	// Bounds are the features' physical bounds, or nil: the background
	// negatives are moved inside them and the range is clipped to them.
	Bounds *Bounds
	// Guard is the guard to fit on the genuine rows.
	Guard GuardSettings
	// Now, if set, times the fit (Trained.Seconds).
	Now func() time.Time
}

// Options returns the options of [TrainUser] for s, with the physical
// bounds b (nil: none known).
func (s TrainSettings) Options(b *Bounds) TrainOptions {
	return TrainOptions{NegativeRatio: s.NegativeRatio, Background: s.Background, Bounds: b, Guard: s.Guard}
}

// Trained is one user's fitted model and what it was fitted on.
type Trained struct {
	Model      Model
	Genuine    int // own rows
	Impostor   int // negatives drawn from the others
	Background int // background negatives
	// Range and Novelty are the guard fitted on own (nil where the
	// options ask for none; Novelty also when own has no more rows than
	// the gate's K).
	Range   *Range
	Novelty *Novelty
	Seconds float64 // fit time; 0 without TrainOptions.Now
}

// TrainUser fits c on own (genuine) against negatives drawn from others
// (see [Negatives]) and o.Background background negatives per genuine row
// ([BackgroundRows]), and fits the guard o.Guard on own. rng draws the
// negatives, then the seeds of the background's and the guard's streams,
// then drives the fit.
func TrainUser(ctx context.Context, c Classifier, own, others [][]float64, rng *rand.Rand, o TrainOptions) (Trained, error) {
	if len(own) == 0 {
		return Trained{}, fmt.Errorf("%s: no genuine rows", c.Name())
	}
	X, y := Negatives(own, others, o.NegativeRatio, rng)
	impostors := len(X) - len(own)
	var bg [][]float64
	if n := int(o.Background * float64(len(own))); n > 0 {
		bgRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		bg = BackgroundRows(own, X, o.Bounds, n, bgRng)
		for _, x := range bg {
			X, y = append(X, x), append(y, false)
		}
	}
	tr := Trained{Genuine: len(own), Impostor: impostors, Background: len(bg)}
	if o.Guard.Range {
		r, err := FitRange(own, o.Guard.RangeMargin, o.Bounds)
		if err != nil {
			return Trained{}, err
		}
		tr.Range = r
	}
	if s := o.Guard.Novelty; s != nil && len(own) > s.withDefaults().K {
		n, err := FitNovelty(own, *s, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
		if err != nil {
			return Trained{}, err
		}
		tr.Novelty = n
	}
	var t0 time.Time
	if o.Now != nil {
		t0 = o.Now()
	}
	m, err := c.Fit(ctx, X, y, rng)
	if err != nil {
		return Trained{}, err
	}
	tr.Model = m
	if o.Now != nil {
		tr.Seconds = o.Now().Sub(t0).Seconds()
	}
	return tr, nil
}

// Guard sets h's guard to what t fitted, with the physical bounds b.
func (t Trained) Guard(h *Header, b *Bounds) {
	h.Bounds, h.Range, h.Novelty = b, t.Range, t.Novelty
}
