package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// holdoutTables returns a training table (users u0.., sessions train0 and
// train1 of n actions each) and a test table (per user one genuine session
// gN of n actions, and the genuine session of the next user again under
// this user's folder as impostor session "iN"), with labels for all.
func holdoutTables(users, n, dim int, noise float64, seed uint64) (train, test *preprocess.Table, labels *Labels) {
	rng := rand.New(rand.NewPCG(seed, 2))
	names := make([]string, dim)
	for j := range names {
		names[j] = fmt.Sprintf("f%d", j)
	}
	means := make([][]float64, users)
	for u := range means {
		means[u] = make([]float64, dim)
		for j := range means[u] {
			means[u][j] = rng.NormFloat64()
		}
	}
	row := func(u int) []float64 {
		x := make([]float64, dim)
		for j := range x {
			x[j] = means[u][j] + noise*rng.NormFloat64()
		}
		return x
	}
	train = &preprocess.Table{Names: names}
	test = &preprocess.Table{Names: names}
	labels = &Labels{Name: "labels.csv"}
	add := func(t *preprocess.Table, user, session string, x []float64) {
		t.Users, t.Sessions, t.X = append(t.Users, user), append(t.Sessions, session), append(t.X, x)
	}
	genuine := make([][][]float64, users)
	for u := range users {
		name := fmt.Sprintf("u%d", u)
		for s := range 2 {
			for range n {
				add(train, name, fmt.Sprintf("train%d", s), row(u))
			}
		}
		for range n {
			genuine[u] = append(genuine[u], row(u))
		}
	}
	for u := range users {
		name := fmt.Sprintf("u%d", u)
		for _, x := range genuine[u] {
			add(test, name, fmt.Sprintf("g%d", u), x)
		}
		v := (u + 1) % users
		for _, x := range genuine[v] {
			add(test, name, fmt.Sprintf("i%d", v), x)
		}
		labels.Entries = append(labels.Entries, Label{Session: fmt.Sprintf("g%d", u), Line: len(labels.Entries) + 2},
			Label{Session: fmt.Sprintf("i%d", v), Illegal: true, Line: len(labels.Entries) + 3})
	}
	return train, test, labels
}

func prepare(t *testing.T, hd HoldoutData) *HoldoutSet {
	t.Helper()
	if hd.TrainName == "" {
		hd.TrainName, hd.TestName = "train", "test"
	}
	set, err := PrepareHoldout(hd)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestEvaluateHoldout(t *testing.T) {
	train, test, labels := holdoutTables(4, 30, 5, 1.0, 1)
	set := prepare(t, HoldoutData{Train: train, Test: test, Labels: labels, Extractor: ExtractorName, ExtractorVersion: "1", Convention: "reference"})
	if set.GenuineSessions != 4 || set.ImpostorSessions != 4 || len(set.Unlabelled) != 0 {
		t.Fatalf("set: %d genuine, %d impostor, unlabelled %v", set.GenuineSessions, set.ImpostorSessions, set.Unlabelled)
	}
	c := centroid{jitter: true}
	o := HoldoutOptions{Classifier: c, Seed: 7, Workers: 1}
	res, models, err := EvaluateHoldout(context.Background(), set, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions.Genuine != 4 || res.Sessions.Impostor != 4 || res.Actions.Genuine != 120 || res.Actions.Impostor != 120 {
		t.Errorf("levels %+v %+v", res.Sessions, res.Actions)
	}
	// Well separated users: the sessions' means separate perfectly, single
	// actions less so.
	if res.Sessions.AUC != 1 || res.Actions.AUC < 0.8 || res.Actions.AUC >= 1 || res.UsersDefined != 4 || res.UserMeanAUC != 1 {
		t.Errorf("session AUC %v, action AUC %v, users %d mean %v", res.Sessions.AUC, res.Actions.AUC, res.UsersDefined, res.UserMeanAUC)
	}
	if len(res.Scores) != 8 || res.Aggregate != "mean" || res.NegativeRatio != 1 || res.Convention != "reference" {
		t.Errorf("result %+v", res)
	}

	// Each session score is the mean of its actions' scores by a model
	// trained as classify.TrainUser with the user's batch stream.
	rngs := classify.BatchRands(7, []string{"u0", "u1", "u2", "u3"})
	own, others := classify.Split(train.Users, train.X, "u1")
	tr, err := classify.TrainUser(context.Background(), c, own, others, rngs["u1"], classify.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	var n int
	for i, u := range test.Users {
		if u == "u1" && test.Sessions[i] == "i2" {
			sum += tr.Model.Score(test.X[i])
			n++
		}
	}
	idx := slices.IndexFunc(res.Scores, func(s TrialScore) bool { return s.User == "u1" && s.Session == "i2" })
	if idx < 0 || res.Scores[idx].Genuine || res.Scores[idx].Actions != n || math.Abs(res.Scores[idx].Score-sum/float64(n)) > 1e-12 {
		t.Errorf("score of u1/i2 %+v, want mean %v of %d actions", res.Scores[idx], sum/float64(n), n)
	}

	// The models carry the schema and what they were trained on.
	m := models.ByUser["u2"]
	if m == nil || m.Header.Convention != "reference" || m.Header.Extractor != ExtractorName || !slices.Equal(m.Header.FeatureNames, train.Names) ||
		m.Header.User != "u2" || m.Header.Seed != 7 || m.Header.Genuine != 60 || m.Header.Impostor != 60 {
		t.Errorf("model header %+v", m.Header)
	}

	// The number of workers changes nothing.
	o.Workers = 3
	res3, _, err := EvaluateHoldout(context.Background(), set, o)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(res3)
	if string(a) != string(b) {
		t.Error("results depend on the number of workers")
	}
	// Another seed draws other negatives.
	o.Seed = 8
	res8, _, err := EvaluateHoldout(context.Background(), set, o)
	if err != nil {
		t.Fatal(err)
	}
	if res8.Actions.AUC == res.Actions.AUC {
		t.Error("seeds 7 and 8 give the same action AUC")
	}

	// Another aggregate scores sessions otherwise.
	o.Seed, o.Aggregate = 7, AggMedian
	med, _, err := EvaluateHoldout(context.Background(), set, o)
	if err != nil {
		t.Fatal(err)
	}
	if med.Scores[idx].Score == res.Scores[idx].Score || med.Actions.AUC != res.Actions.AUC || med.Aggregate != "median" {
		t.Errorf("median: %v vs mean %v", med.Scores[idx].Score, res.Scores[idx].Score)
	}
}

// TestHoldoutColumnsByName: a test table with its columns in another order
// scores the same.
func TestHoldoutColumnsByName(t *testing.T) {
	train, test, labels := holdoutTables(3, 20, 4, 1.5, 2)
	perm := []int{2, 0, 3, 1}
	shuffled := &preprocess.Table{Users: test.Users, Sessions: test.Sessions, Names: make([]string, 4)}
	for k, j := range perm {
		shuffled.Names[k] = test.Names[j]
	}
	for _, x := range test.X {
		y := make([]float64, 4)
		for k, j := range perm {
			y[k] = x[j]
		}
		shuffled.X = append(shuffled.X, y)
	}
	o := HoldoutOptions{Classifier: centroid{}, Seed: 1}
	a, _, err := EvaluateHoldout(context.Background(), prepare(t, HoldoutData{Train: train, Test: test, Labels: labels}), o)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := EvaluateHoldout(context.Background(), prepare(t, HoldoutData{Train: train, Test: shuffled, Labels: labels}), o)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(scoresOf(a), scoresOf(b)) {
		t.Errorf("reordered columns score differently: %v vs %v", scoresOf(a), scoresOf(b))
	}
}

func scoresOf(r HoldoutResult) []float64 {
	var out []float64
	for _, s := range r.Scores {
		out = append(out, s.Score)
	}
	return out
}

func TestHoldoutCrossAndUndefinedUsers(t *testing.T) {
	train, test, _ := holdoutTables(3, 20, 4, 1.0, 3)
	// No labels: every session genuine for its folder (the "i" sessions too).
	if _, err := PrepareHoldout(HoldoutData{Train: train, Test: test, TrainName: "tr", TestName: "te"}); !errors.Is(err, ErrOneClass) ||
		!strings.Contains(err.Error(), "test set te: 6 genuine and 0 impostor sessions") || !strings.Contains(err.Error(), "--cross") {
		t.Errorf("single class: err = %v", err)
	}
	set := prepare(t, HoldoutData{Train: train, Test: test, Cross: true})
	// 6 genuine sessions, each also claimed as the 2 other users.
	if set.GenuineSessions != 6 || set.ImpostorSessions != 12 {
		t.Fatalf("cross: %d genuine, %d impostor", set.GenuineSessions, set.ImpostorSessions)
	}
	res, _, err := EvaluateHoldout(context.Background(), set, HoldoutOptions{Classifier: centroid{}})
	if err != nil {
		t.Fatal(err)
	}
	var crossed int
	for _, s := range res.Scores {
		if s.Folder != "" {
			crossed++
			if s.Genuine || s.Folder == s.User {
				t.Errorf("cross trial %+v", s)
			}
		}
	}
	if crossed != 12 || res.Sessions.Impostor != 12 {
		t.Errorf("%d cross trials, %d impostor sessions", crossed, res.Sessions.Impostor)
	}

	// Labels for some sessions only: the rest are left out; u2 keeps only
	// its genuine session, so its AUC is undefined (null, with the reason).
	labels := &Labels{Name: "l.csv", Entries: []Label{{Session: "g0", Line: 2}, {Session: "i1", Illegal: true, Line: 3},
		{Session: "g1", Line: 4}, {User: "u1", Session: "i2", Illegal: true, Line: 5}, {Session: "g2", Line: 6}}}
	set = prepare(t, HoldoutData{Train: train, Test: test, Labels: labels})
	if len(set.Unlabelled) != 1 || set.Unlabelled[0] != (SessionRef{User: "u2", Session: "i0"}) {
		t.Errorf("unlabelled %v", set.Unlabelled)
	}
	res, _, err = EvaluateHoldout(context.Background(), set, HoldoutOptions{Classifier: centroid{}})
	if err != nil {
		t.Fatal(err)
	}
	u2 := res.Users[2]
	if u2.User != "u2" || u2.SessionAUC != nil || u2.ActionAUC != nil || !strings.Contains(u2.NA, "1 genuine and 0 impostor") || res.UsersDefined != 2 {
		t.Errorf("u2 %+v, %d users defined", u2, res.UsersDefined)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Errorf("an undefined AUC does not encode: %v", err)
	}
}

func TestPrepareHoldoutErrors(t *testing.T) {
	train, test, labels := holdoutTables(3, 10, 4, 1.0, 4)
	renamed := *test
	renamed.Names = slices.Clone(test.Names)
	renamed.Names[2] = "f2_renamed"
	noSessions := *test
	noSessions.Sessions = nil
	nan := *test
	nan.X = slices.Clone(test.X)
	nan.X[5] = slices.Clone(nan.X[5])
	nan.X[5][1] = math.NaN()
	stranger := *test
	stranger.Users = slices.Clone(test.Users)
	stranger.Users[0] = "u9"
	oneUser := &preprocess.Table{Users: train.Users[:20], X: train.X[:20], Names: train.Names}
	// The same session name in two folders needs user/session.
	twice := *test
	twice.Sessions = slices.Clone(test.Sessions)
	for i := range twice.Sessions {
		if twice.Users[i] == "u1" && twice.Sessions[i] == "g1" {
			twice.Sessions[i] = "g0"
		}
	}
	for _, tt := range []struct {
		name string
		hd   HoldoutData
		want string
	}{
		{"unknown session", HoldoutData{Train: train, Test: test, Labels: &Labels{Name: "l.csv", Entries: []Label{{Session: "g0", Line: 2}, {Session: "nope", Line: 3, Illegal: true}, {Session: "nope2", Line: 4}}}},
			`l.csv line 3 column 1 (filename): session "nope" is not in the test set te (and 1 more unknown sessions)`},
		{"unknown user/session", HoldoutData{Train: train, Test: test, Labels: &Labels{Name: "l.csv", Entries: []Label{{User: "u2", Session: "g0", Line: 7}}}},
			`l.csv line 7 column 1 (filename): session "u2/g0" is not in the test set te`},
		{"ambiguous", HoldoutData{Train: train, Test: &twice, Labels: labels}, `session "g0" is in 2 user folders of te (u0, u1): name it as user/session`},
		{"renamed column", HoldoutData{Train: train, Test: &renamed, Labels: labels},
			`test set te does not have the training set's features (tr): no column "f2" (the model's feature 3 of 4); column 3 is "f2_renamed"`},
		{"no sessions", HoldoutData{Train: train, Test: &noSessions, Labels: labels}, "test set te has no session column"},
		{"NaN", HoldoutData{Train: train, Test: &nan, Labels: labels}, "row 5 (user u0, session g0) column f1 is NaN"},
		{"user without training", HoldoutData{Train: train, Test: &stranger}, "test set te: user u9 (session g0) has no training data in tr (training users: u0, u1, u2)"},
		{"one training user", HoldoutData{Train: oneUser, Test: test, Labels: labels}, "training set tr: bad feature table: 1 user(s)"},
		{"conventions differ", HoldoutData{Train: train, Test: test, Labels: labels, Convention: "clean", TestConvention: "reference"},
			"training set tr holds clean features, test set te reference features"},
		{"all impostors", HoldoutData{Train: train, Test: test, Labels: &Labels{Name: "l.csv", Entries: []Label{{Session: "i1", Illegal: true, Line: 2}}}},
			"0 genuine and 1 impostor sessions: the AUC is undefined"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.hd.TrainName, tt.hd.TestName = "tr", "te"
			_, err := PrepareHoldout(tt.hd)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRunHoldoutSeeds(t *testing.T) {
	train, test, labels := holdoutTables(3, 20, 4, 2.0, 5)
	set := prepare(t, HoldoutData{Train: train, Test: test, Labels: labels})
	e := &Experiment{Mode: ModeHoldout, Classifier: "centroid", Seeds: []int64{3, 4, 5},
		NewClassifier: func(string, map[string]any) (classify.Classifier, error) { return centroid{jitter: true}, nil }}
	var calls, last int
	e.Progress = func(done, total int) { calls++; last = total }
	run, models, err := e.RunHoldout(context.Background(), set)
	if err != nil {
		t.Fatal(err)
	}
	if last != 9 || calls != 10 || len(models.ByUser) != 3 {
		t.Errorf("progress %d calls, total %d; %d models", calls, last, len(models.ByUser))
	}
	h := run.Holdouts[0]
	if h.Seed != 3 || h.Seeds == nil || len(run.PerSeed) != 3 || !slices.Equal(run.Seeds, []int64{3, 4, 5}) {
		t.Fatalf("run %+v", run)
	}
	for k, seed := range []int64{3, 4, 5} {
		one, _, err := EvaluateHoldout(context.Background(), set, HoldoutOptions{Classifier: centroid{jitter: true}, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if h.Seeds.ActionAUC.Values[k] != one.Actions.AUC || run.PerSeed[k].Holdouts[0].Actions.AUC != one.Actions.AUC || run.PerSeed[k].Seed != seed {
			t.Errorf("seed %d: action AUC %v in the run, %v alone", seed, h.Seeds.ActionAUC.Values[k], one.Actions.AUC)
		}
		if len(run.PerSeed[k].Holdouts[0].Actions.ROC.FPR) != 0 || run.PerSeed[k].Holdouts[0].Scores != nil {
			t.Error("per-seed results keep their curves")
		}
	}
	if want := NewSeedStat(h.Seeds.ActionAUC.Values); h.Seeds.ActionAUC.Mean != want.Mean || h.Seeds.ActionAUC.SD != want.SD || want.SD == 0 {
		t.Errorf("action AUC over seeds %+v", h.Seeds.ActionAUC)
	}
}

// TestRunHoldoutInterrupted: cancelled during the second of three seeds,
// RunHoldout returns the first seed's run, marked incomplete, and an error
// that is both ErrInterrupted and the context's.
func TestRunHoldoutInterrupted(t *testing.T) {
	t.Parallel()
	train, test, labels := holdoutTables(3, 20, 4, 2.0, 5)
	set := prepare(t, HoldoutData{Train: train, Test: test, Labels: labels})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var fits atomic.Int64
	e := &Experiment{Mode: ModeHoldout, Classifier: "centroid", Seeds: []int64{3, 4, 5}, Settings: Settings{Workers: 1},
		NewClassifier: func(string, map[string]any) (classify.Classifier, error) {
			return cancelAt{centroid: centroid{jitter: true}, n: 4, fits: &fits, cancel: cancel}, nil // seed 4's first user
		}}
	run, models, err := e.RunHoldout(ctx, set)
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want ErrInterrupted and context.Canceled", err)
	}
	if run == nil || run.Incomplete == nil || !strings.Contains(run.Incomplete.Reason, "1 of 3 seeds") ||
		!slices.Equal(run.Incomplete.SeedsDone, []int64{3}) || len(models.ByUser) != 3 {
		t.Fatalf("run %+v, %d models", run, len(models.ByUser))
	}
	if h := run.Holdouts[0]; h.Seed != 3 || h.Stats == nil {
		t.Errorf("the finished seed %d, statistics %v", h.Seed, h.Stats)
	}
	// Cancelled before a seed finished: nothing to keep.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if run, _, err := e.RunHoldout(ctx, set); run != nil || !errors.Is(err, context.Canceled) || errors.Is(err, ErrInterrupted) {
		t.Errorf("cancelled at once: run %v, err %v", run, err)
	}
}
