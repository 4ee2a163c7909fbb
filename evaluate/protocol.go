package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Protocol names how per-user training and test sets are built.
type Protocol string

// Protocols.
const (
	// Reference mirrors the published evaluation (Antal & Dénes-Fazakas,
	// SACI 2019). For user u with n actions: the chronologically first
	// floor(n*TrainFraction) actions train as positives, the rest test.
	// n actions are drawn at random, without replacement, from the pooled
	// actions of all other users; in draw order, the first
	// floor(n*TrainFraction) of them train as negatives, the rest test. Our
	// reading of the published code: its negatives are one sample of the same
	// size as the user's data, split like the positives. Impostor windows run
	// over the test negatives in draw order, so one window mixes actions of
	// several users, and impostors seen in training also appear in testing.
	// With NegativeRatio r > 1, r*floor(n*TrainFraction) training negatives
	// are drawn (the test negatives stay n-floor(n*TrainFraction)), or where
	// the other users have fewer actions all of theirs but the test
	// negatives, never fewer than with r = 1.
	Reference Protocol = "reference"
	// Strict leaves impostors out: for user u the other users are shuffled
	// (seeded) and split into test impostors (the first floor(k/2) of k) and
	// training impostors (the rest). Training negatives are drawn at random
	// from the training impostors' pooled actions only; each test impostor
	// contributes its chronologically last n-floor(n*TrainFraction) actions
	// as one stream, and impostor windows run over one impostor's stream
	// (never across two), as an attacker would produce them. Genuine
	// training and test sets are as in Reference.
	Strict Protocol = "strict"
)

// ParseProtocol returns the named protocol.
func ParseProtocol(s string) (Protocol, error) {
	switch p := Protocol(s); p {
	case Reference, Strict:
		return p, nil
	}
	return "", fmt.Errorf("unknown protocol %q (want reference or strict)", s)
}

// ErrBadData reports a table that cannot be evaluated: it is
// [preprocess.ErrBadTable], which [preprocess.Table.Validate] wraps, and
// wraps the error for a table where every user had to be skipped.
var ErrBadData = preprocess.ErrBadTable

// MinTestActions is the fewest genuine test actions a user needs; users with
// fewer are skipped and listed in [Result.Skipped].
const MinTestActions = 2

// Options configure [Evaluate] and [ScoreUsers].
type Options struct {
	Protocol   Protocol            // default Reference
	Classifier classify.Classifier // required
	// Params are recorded in the result (classifier settings, preset).
	Params  map[string]any
	Windows []int // window sizes, each >= 1; default {1}
	// TrainFraction is the chronological share of each user's actions that
	// trains; default 2/3.
	TrainFraction float64
	// NegativeRatio is the number of training negatives per training
	// positive; default 1 (balanced, as published).
	NegativeRatio float64
	// Background is the number of synthetic background negatives per
	// training positive (classify.BackgroundRows, moved inside the
	// table's physical bounds where ModelBounds knows them); 0: none.
	Background float64
	Aggregate  Aggregate // window score; default AggMean
	// DropDuplicateColumns drops feature columns equal to an earlier column
	// in every row of the table (see [DropDuplicateColumns]) before any
	// split; it looks at no labels.
	DropDuplicateColumns bool
	// ReplacePlaceholders replaces the published files' 2147483647
	// placeholder by 0 (see [ReplacePlaceholders]) before any training.
	ReplacePlaceholders bool
	Seed                int64
	// Workers is the number of users evaluated at once; default GOMAXPROCS.
	// Results do not depend on it: each user's random stream is derived from
	// Seed, in user order, before the work fans out.
	Workers int
	// Progress, if set, is called once per finished user (from any goroutine).
	Progress func()
	// Now, if set, times training and the run (Seconds fields); nil leaves
	// them 0, so results are comparable byte for byte.
	Now func() time.Time

	bounds *classify.Bounds // the table's physical bounds, for Background
	// fitted, if set, is given each scored user's model and vectors (from
	// any goroutine): the continuous and attack evaluations judge vectors
	// of their own with the models the protocol trained.
	fitted func(fittedUser)
}

// fittedUser is one user's model and vectors as [ScoreUsers] split them,
// in the order of its [UserScores]: the genuine training vectors, the
// genuine test vectors (chronological) and each impostor stream's.
type fittedUser struct {
	user          string
	model         classify.Model
	train         [][]float64
	genuine       [][]float64
	impostor      [][][]float64
	impostorUsers []string
}

func (o *Options) defaults() error {
	if o.Classifier == nil {
		return errors.New("evaluate: no classifier")
	}
	if o.Protocol == "" {
		o.Protocol = Reference
	}
	if _, err := ParseProtocol(string(o.Protocol)); err != nil {
		return err
	}
	if len(o.Windows) == 0 {
		o.Windows = []int{1}
	}
	for _, w := range o.Windows {
		if w < 1 {
			return fmt.Errorf("window size %d: must be >= 1", w)
		}
	}
	if o.TrainFraction == 0 {
		o.TrainFraction = 2.0 / 3
	}
	if o.TrainFraction <= 0 || o.TrainFraction >= 1 {
		return fmt.Errorf("train fraction %v: must be in (0, 1)", o.TrainFraction)
	}
	if o.NegativeRatio == 0 {
		o.NegativeRatio = 1
	}
	if o.NegativeRatio < 0 {
		return fmt.Errorf("negative ratio %v: must be > 0", o.NegativeRatio)
	}
	if o.Background < 0 {
		return fmt.Errorf("background negatives %v: must be >= 0", o.Background)
	}
	if o.Aggregate == "" {
		o.Aggregate = AggMean
	}
	if _, err := ParseAggregate(string(o.Aggregate)); err != nil {
		return err
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// UserScores are one user's test scores, before windowing.
type UserScores struct {
	User string `json:"user"`
	// Genuine holds the scores of the user's test actions, chronological.
	Genuine []float64 `json:"genuine"`
	// Impostor holds impostor streams: under Reference one stream, the test
	// negatives in draw order; under Strict one per test impostor,
	// chronological.
	Impostor [][]float64 `json:"impostor"`
	// ImpostorUsers names the users of the Impostor streams (Strict only).
	ImpostorUsers []string `json:"impostor_users,omitempty"`
	TrainSecs     float64  `json:"train_seconds"`
	// GenuineRows and ImpostorRows are the feature-table rows of Genuine
	// and of each Impostor stream, score by score.
	GenuineRows  []int   `json:"-"`
	ImpostorRows [][]int `json:"-"`
}

// ScoreUsers trains one model per user under opts.Protocol and scores the
// user's test actions and the impostor test actions. Users are returned in
// order of first appearance in d; users too short to test are listed in the
// skipped result instead. It fails on invalid data, a failed fit or a
// cancelled ctx.
func ScoreUsers(ctx context.Context, d *preprocess.Table, opts Options) ([]UserScores, []Skip, error) {
	if err := opts.defaults(); err != nil {
		return nil, nil, err
	}
	if err := d.Validate(); err != nil {
		return nil, nil, err
	}
	if opts.ReplacePlaceholders {
		d, _ = ReplacePlaceholders(d)
	}
	if opts.DropDuplicateColumns {
		d, _ = DropDuplicateColumns(d)
	}
	if opts.Background > 0 {
		opts.bounds = ModelBounds(d.Names, d.Extractor, d.Convention)
	}
	// A classifier that can fits every user on rows of the table,
	// prepared once (classify.RowFitter), and on the user's background
	// negatives, given as values.
	var table classify.Table
	if rf, ok := opts.Classifier.(classify.RowFitter); ok {
		var err error
		if table, err = rf.Prepare(d.X); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", opts.Classifier.Name(), err)
		}
	}
	users := d.UserOrder()
	rows := d.RowsByUser()
	// Per-user random streams, derived in user order before fanning out.
	master := rand.New(rand.NewPCG(uint64(opts.Seed), 0x6d6f757365617574))
	seeds := make([][2]uint64, len(users))
	for i := range seeds {
		seeds[i] = [2]uint64{master.Uint64(), master.Uint64()}
	}

	out := make([]UserScores, len(users))
	skip := make([]string, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	next := make(chan int)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(opts.Workers, len(users)) {
		wg.Go(func() {
			for i := range next {
				rng := rand.New(rand.NewPCG(seeds[i][0], seeds[i][1]))
				us, reason, err := scoreUser(ctx, d, table, users, rows, i, rng, &opts)
				out[i], skip[i], errs[i] = us, reason, err
				if err != nil {
					cancel()
				}
				if opts.Progress != nil {
					opts.Progress()
				}
			}
		})
	}
feed:
	for i := range users {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	// Report the first real failure, not the cancellations it caused.
	for i, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return nil, nil, fmt.Errorf("user %s: %w", users[i], err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	var res []UserScores
	var skipped []Skip
	for i := range users {
		if skip[i] != "" {
			skipped = append(skipped, Skip{User: users[i], Reason: skip[i]})
			continue
		}
		res = append(res, out[i])
	}
	if len(res) == 0 {
		return nil, skipped, fmt.Errorf("%w: every user was skipped (first: %s: %s)", ErrBadData, skipped[0].User, skipped[0].Reason)
	}
	return res, skipped, nil
}

// Skip names a user (at a window size, or 0 for all windows) left out of a
// result, and why.
type Skip struct {
	User   string `json:"user"`
	Window int    `json:"window,omitempty"`
	Reason string `json:"reason"`
}

// scoreUser builds user i's training and test sets, fits and scores. A
// non-empty reason means the user is skipped. table, if not nil, is d's
// rows prepared by o.Classifier, a classify.RowFitter.
func scoreUser(ctx context.Context, d *preprocess.Table, table classify.Table, users []string, rows map[string][]int, i int, rng *rand.Rand, o *Options) (UserScores, string, error) {
	u := users[i]
	pos := rows[u]
	n := len(pos)
	nTrain := int(float64(n) * o.TrainFraction)
	nTest := n - nTrain
	if nTrain < 1 || nTest < MinTestActions {
		return UserScores{}, fmt.Sprintf("%d actions: %d train, %d test, need >= 1 and >= %d", n, nTrain, nTest, MinTestActions), nil
	}
	nNegTrain := max(1, int(float64(nTrain)*o.NegativeRatio))

	var negTrain []int
	var impostors [][]int
	var impostorUsers []string
	switch o.Protocol {
	case Reference:
		var pool []int
		for _, v := range users {
			if v != u {
				pool = append(pool, rows[v]...)
			}
		}
		if nNegTrain > nTrain {
			nNegTrain = max(nTrain, min(nNegTrain, len(pool)-nTest))
		}
		drawn := draw(rng, pool, nNegTrain+nTest)
		if len(drawn) < nNegTrain+nTest {
			return UserScores{}, fmt.Sprintf("other users have %d actions, need %d negatives", len(pool), nNegTrain+nTest), nil
		}
		negTrain, impostors = drawn[:nNegTrain], [][]int{drawn[nNegTrain:]}
	case Strict:
		var others []string
		for _, v := range users {
			if v != u {
				others = append(others, v)
			}
		}
		rng.Shuffle(len(others), func(a, b int) { others[a], others[b] = others[b], others[a] })
		nTestImp := len(others) / 2
		if nTestImp < 1 {
			return UserScores{}, fmt.Sprintf("%d other user(s): strict needs >= 2 (one to train, one to test)", len(others)), nil
		}
		var pool []int
		for _, v := range others[nTestImp:] {
			pool = append(pool, rows[v]...)
		}
		negTrain = draw(rng, pool, nNegTrain)
		for _, v := range others[:nTestImp] {
			r := rows[v]
			impostors = append(impostors, r[max(0, len(r)-nTest):])
			impostorUsers = append(impostorUsers, v)
		}
	}

	train := slices.Concat(pos[:nTrain], negTrain)
	y := make([]bool, len(train))
	for k := range nTrain {
		y[k] = true
	}
	X := make([][]float64, len(train))
	for k, r := range train {
		X[k] = d.X[r]
	}
	var bg [][]float64
	if n := int(o.Background * float64(nTrain)); n > 0 {
		// Drawn from their own stream, so the negatives above are the
		// same with and without them.
		bgRng := rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64()))
		bg = classify.BackgroundRows(X[:nTrain], X, o.bounds, n, bgRng)
		for range bg {
			y = append(y, false)
		}
	}
	var t0 time.Time
	if o.Now != nil {
		t0 = o.Now()
	}
	var m classify.Model
	var err error
	if table != nil {
		m, err = o.Classifier.(classify.RowFitter).FitRows(ctx, table, train, bg, y, rng)
	} else {
		m, err = o.Classifier.Fit(ctx, append(X, bg...), y, rng)
	}
	if err != nil {
		return UserScores{}, "", fmt.Errorf("fit %s: %w", o.Classifier.Name(), err)
	}
	us := UserScores{User: u, ImpostorUsers: impostorUsers}
	if o.Now != nil {
		us.TrainSecs = o.Now().Sub(t0).Seconds()
	}
	score := func(idx []int) ([]float64, error) {
		s := make([]float64, len(idx))
		for k, r := range idx {
			s[k] = m.Score(d.X[r])
			if s[k] != s[k] {
				return nil, fmt.Errorf("%s scored row %d NaN", o.Classifier.Name(), r)
			}
		}
		return s, nil
	}
	us.GenuineRows = pos[nTrain:]
	if us.Genuine, err = score(us.GenuineRows); err != nil {
		return UserScores{}, "", err
	}
	for _, imp := range impostors {
		s, err := score(imp)
		if err != nil {
			return UserScores{}, "", err
		}
		us.Impostor = append(us.Impostor, s)
		us.ImpostorRows = append(us.ImpostorRows, imp)
	}
	if o.fitted != nil {
		rowsOf := func(idx []int) [][]float64 {
			out := make([][]float64, len(idx))
			for k, r := range idx {
				out[k] = d.X[r]
			}
			return out
		}
		f := fittedUser{user: u, model: m, train: rowsOf(pos[:nTrain]), genuine: rowsOf(pos[nTrain:]), impostorUsers: impostorUsers}
		for _, imp := range impostors {
			f.impostor = append(f.impostor, rowsOf(imp))
		}
		o.fitted(f)
	}
	return us, "", ctx.Err()
}

// draw returns k elements of pool drawn at random without replacement, in
// draw order (all of pool, shuffled, if it has fewer). pool is not modified.
func draw(rng *rand.Rand, pool []int, k int) []int {
	p := append([]int(nil), pool...)
	k = min(k, len(p))
	for i := range k {
		j := i + rng.IntN(len(p)-i)
		p[i], p[j] = p[j], p[i]
	}
	return p[:k]
}
