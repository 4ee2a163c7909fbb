package evaluate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Held-out evaluation: train on one set, score another, as the Balabit
// challenge was judged. One model per user is trained on the training set
// (the user's rows against negatives drawn from the other training users,
// with [classify.TrainUser] and the streams of [classify.BatchRands], so
// the models are those `mouseauth classify train` makes with the same seed),
// then every test session is scored by the model of the user whose folder
// it lies in (the user it claims to be): its actions' scores, combined by
// the aggregate into the session score. A labels file says which test
// sessions were not their folder's user.

// HoldoutData is what a held-out evaluation reads.
type HoldoutData struct {
	Train, Test *preprocess.Table
	// TrainName and TestName name the sets in errors and results.
	TrainName, TestName string
	// Labels, if set, say which test sessions are impostors; test sessions
	// without a label are left out (and listed). Without labels every test
	// session is genuine for its folder's user.
	Labels *Labels
	// Cross also scores every genuine test session against the model of
	// every other test user, as a zero-effort impostor claiming that user.
	Cross bool
	// Extractor, ExtractorVersion and Convention describe the training
	// features when known (raw logs extracted here); they go into the
	// models' headers. TestConvention is the test features' convention when
	// known: two known conventions that differ are an error.
	Extractor, ExtractorVersion, Convention string
	TestConvention                          string
}

// SessionRef names a test session: its user folder and session.
type SessionRef struct {
	User    string `json:"user"`
	Session string `json:"session"`
}

// HoldoutSet is a [HoldoutData] checked and laid out for scoring: see
// [PrepareHoldout].
type HoldoutSet struct {
	HoldoutData
	// Unlabelled lists the test sessions the labels file does not name,
	// left out.
	Unlabelled []SessionRef
	// GenuineSessions and ImpostorSessions count the trials (a session
	// scored against one claimed user).
	GenuineSessions, ImpostorSessions int
	columns                           []int    // test column of each training feature
	users                             []string // claimed users, sorted: one model each
	trials                            []trial
}

// trial is one test session scored as a claim to be user claimed.
type trial struct {
	claimed string
	ref     SessionRef
	genuine bool
	rows    []int
}

// PrepareHoldout checks hd and lays out the trials. The training set must
// be a valid table ([preprocess.Table.Validate]: two or more users, finite
// values) with feature names; the test set must have a session per row and
// every training feature as a column (matched by name, so another column
// order is fine; a missing or renamed column is an error naming it). Every
// label must name a test session (by bare name, unique in the test set, or
// as user/session); every claimed user must have training rows; and the
// trials must hold genuine and impostor sessions, else the AUC is
// undefined: each is an error naming the file, line or column.
func PrepareHoldout(hd HoldoutData) (*HoldoutSet, error) {
	tr, te := hd.Train, hd.Test
	if tr == nil || te == nil {
		return nil, errors.New("holdout: a training and a test set are required")
	}
	if err := tr.Validate(); err != nil {
		return nil, fmt.Errorf("training set %s: %w", hd.TrainName, err)
	}
	if len(tr.Names) != len(tr.X[0]) {
		return nil, fmt.Errorf("training set %s: %d feature names for %d features", hd.TrainName, len(tr.Names), len(tr.X[0]))
	}
	if err := checkTestTable(te, hd.TestName); err != nil {
		return nil, err
	}
	known := func(c string) bool { return c != "" && c != classify.SchemaUnknown }
	if known(hd.Convention) && known(hd.TestConvention) && hd.Convention != hd.TestConvention {
		return nil, fmt.Errorf("training set %s holds %s features, test set %s %s features: extract both with the same convention (--compat)",
			hd.TrainName, hd.Convention, hd.TestName, hd.TestConvention)
	}
	h := &classify.Header{FeatureNames: tr.Names}
	cols, err := h.Columns(te.Names)
	if err != nil {
		return nil, fmt.Errorf("test set %s does not have the training set's features (%s): %w", hd.TestName, hd.TrainName, err)
	}
	set := &HoldoutSet{HoldoutData: hd, columns: cols}

	// Sessions in order of first appearance.
	index := map[SessionRef]int{}
	var sessions []SessionRef
	var rows [][]int
	byName := map[string][]string{} // session name -> user folders
	for i, u := range te.Users {
		ref := SessionRef{User: u, Session: te.Sessions[i]}
		j, ok := index[ref]
		if !ok {
			j = len(sessions)
			index[ref] = j
			sessions = append(sessions, ref)
			rows = append(rows, nil)
			byName[ref.Session] = append(byName[ref.Session], u)
		}
		rows[j] = append(rows[j], i)
	}
	genuine := make([]bool, len(sessions))
	labelled := make([]bool, len(sessions))
	if hd.Labels == nil {
		for j := range genuine {
			genuine[j], labelled[j] = true, true
		}
	} else {
		if err := applyLabels(hd.Labels, hd.TestName, index, byName, genuine, labelled); err != nil {
			return nil, err
		}
	}
	trainRows := tr.RowsByUser()
	claimed := map[string]bool{}
	for j, ref := range sessions {
		if !labelled[j] {
			set.Unlabelled = append(set.Unlabelled, ref)
			continue
		}
		if _, ok := trainRows[ref.User]; !ok {
			users, _ := tr.ByUser()
			return nil, fmt.Errorf("test set %s: user %s (session %s) has no training data in %s (training users: %s)",
				hd.TestName, ref.User, ref.Session, hd.TrainName, strings.Join(users, ", "))
		}
		claimed[ref.User] = true
		set.trials = append(set.trials, trial{claimed: ref.User, ref: ref, genuine: genuine[j], rows: rows[j]})
	}
	set.users = slices.Sorted(func(yield func(string) bool) {
		for u := range claimed {
			if !yield(u) {
				return
			}
		}
	})
	if hd.Cross {
		n := len(set.trials)
		for _, t := range set.trials[:n] {
			if !t.genuine {
				continue // its true user is unknown
			}
			for _, v := range set.users {
				if v != t.ref.User {
					set.trials = append(set.trials, trial{claimed: v, ref: t.ref, rows: t.rows})
				}
			}
		}
	}
	for _, t := range set.trials {
		if t.genuine {
			set.GenuineSessions++
		} else {
			set.ImpostorSessions++
		}
	}
	if set.GenuineSessions == 0 || set.ImpostorSessions == 0 {
		hint := "give a labels file whose is_illegal=1 rows name impostor sessions, or --cross to score each session against the other users' models"
		if set.GenuineSessions == 0 {
			hint = "every labelled session is an impostor: label the folders' own sessions 0"
		}
		return nil, fmt.Errorf("test set %s: %d genuine and %d impostor sessions: the AUC is undefined (%w); %s",
			hd.TestName, set.GenuineSessions, set.ImpostorSessions, ErrOneClass, hint)
	}
	return set, nil
}

// checkTestTable checks a test table: rectangular, finite, with feature
// names and a session per row. Errors name the row's user and session and
// the column.
func checkTestTable(te *preprocess.Table, name string) error {
	if len(te.X) == 0 || len(te.Users) != len(te.X) {
		return fmt.Errorf("test set %s: %w: no rows", name, ErrBadData)
	}
	if len(te.Sessions) != len(te.X) {
		return fmt.Errorf("test set %s has no session column: a held-out evaluation scores sessions (give raw logs, or a mouseauth feature CSV with user and session columns)", name)
	}
	width := len(te.Names)
	for i, row := range te.X {
		if len(row) != width {
			return fmt.Errorf("test set %s: %w: row %d (user %s, session %s) has %d features for %d names", name, ErrBadData, i, te.Users[i], te.Sessions[i], len(row), width)
		}
		for j, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("test set %s: %w: row %d (user %s, session %s) column %s is %v", name, ErrBadData, i, te.Users[i], te.Sessions[i], te.Names[j], v)
			}
		}
	}
	return nil
}

// applyLabels marks the labelled sessions and their class. A label naming
// no test session, or a bare name found in several user folders, is an
// error naming the labels file's line.
func applyLabels(l *Labels, testName string, index map[SessionRef]int, byName map[string][]string, genuine, labelled []bool) error {
	var unknown []Label
	for _, lb := range l.Entries {
		ref := SessionRef{User: lb.User, Session: lb.Session}
		if lb.User == "" {
			folders := byName[lb.Session]
			switch len(folders) {
			case 0:
				unknown = append(unknown, lb)
				continue
			case 1:
				ref.User = folders[0]
			default:
				return fmt.Errorf("%s line %d column 1 (%s): session %q is in %d user folders of %s (%s): name it as user/session",
					l.Name, lb.Line, labelFile, lb.Session, len(folders), testName, strings.Join(folders, ", "))
			}
		}
		j, ok := index[ref]
		if !ok {
			unknown = append(unknown, lb)
			continue
		}
		labelled[j], genuine[j] = true, !lb.Illegal
	}
	if len(unknown) > 0 {
		lb := unknown[0]
		name := lb.Session
		if lb.User != "" {
			name = lb.User + "/" + lb.Session
		}
		more := ""
		if len(unknown) > 1 {
			more = fmt.Sprintf(" (and %d more unknown sessions)", len(unknown)-1)
		}
		return fmt.Errorf("%s line %d column 1 (%s): session %q is not in the test set %s%s", l.Name, lb.Line, labelFile, name, testName, more)
	}
	return nil
}

// Users returns the users a held-out evaluation trains a model for: every
// user a test session claims to be, sorted.
func (s *HoldoutSet) Users() []string { return slices.Clone(s.users) }

// HoldoutOptions configure [EvaluateHoldout].
type HoldoutOptions struct {
	Classifier classify.Classifier // required
	// Params are the classifier's parameters, recorded in the result and the
	// models' headers.
	Params map[string]any
	// NegativeRatio is the number of training negatives per genuine row,
	// drawn from the other training users; 0 means 1.
	NegativeRatio float64
	Aggregate     Aggregate // session score; default AggMean
	Seed          int64
	// Workers is the number of users trained and scored at once; default
	// GOMAXPROCS. Results do not depend on it.
	Workers int
	// Progress, if set, is called once per trained and scored user (from any
	// goroutine).
	Progress func()
	// Now, if set, times the run and the training.
	Now func() time.Time
}

// HoldoutLevel is the ROC of pooled trials at one level: sessions (scored by
// the aggregate of their actions' scores) or actions.
type HoldoutLevel struct {
	AUC      float64  `json:"auc"`
	EER      float64  `json:"eer"`
	Genuine  int      `json:"genuine"`
	Impostor int      `json:"impostor"`
	ROC      ROCCurve `json:"roc,omitzero"`
}

// HoldoutUser is one claimed user's figures: its genuine and impostor test
// sessions scored by its model. The AUC is undefined when the user has test
// sessions of one class only: then the AUC and EER fields are null and NA
// says why.
type HoldoutUser struct {
	User             string   `json:"user"`
	GenuineSessions  int      `json:"genuine_sessions"`
	ImpostorSessions int      `json:"impostor_sessions"`
	Actions          int      `json:"actions"`
	SessionAUC       *float64 `json:"session_auc"`
	SessionEER       *float64 `json:"session_eer"`
	ActionAUC        *float64 `json:"action_auc"`
	NA               string   `json:"na,omitempty"`
	TrainRows        int      `json:"train_rows"` // genuine training rows
	TrainSecs        float64  `json:"train_seconds"`
}

// TrialScore is one test session's score as a claim to be User.
type TrialScore struct {
	User    string  `json:"user"`             // the claimed user, whose model scored it
	Folder  string  `json:"folder,omitempty"` // the session's user folder, when not User (--cross)
	Session string  `json:"session"`
	Genuine bool    `json:"genuine"`
	Actions int     `json:"actions"`
	Score   float64 `json:"score"`
	// actionScores are the session's actions' scores, for the statistics.
	actionScores []float64
}

// HoldoutSeeds are a held-out result's figures over seeds.
type HoldoutSeeds struct {
	Seeds      []int64  `json:"seeds"`
	SessionAUC SeedStat `json:"session_auc"`
	SessionEER SeedStat `json:"session_eer"`
	ActionAUC  SeedStat `json:"action_auc"`
	ActionEER  SeedStat `json:"action_eer"`
	// UserMeanAUC is the mean over users of the per-user session AUC (users
	// with one defined), per seed; UserSDAUC the sd over users, whose Mean
	// is the per-user spread.
	UserMeanAUC SeedStat `json:"user_mean_session_auc,omitzero"`
	UserSDAUC   SeedStat `json:"user_sd_session_auc,omitzero"`
}

// HoldoutResult is one held-out evaluation.
type HoldoutResult struct {
	Train      string         `json:"train"`
	Test       string         `json:"test"`
	Classifier string         `json:"classifier"`
	Params     map[string]any `json:"params,omitempty"`
	Seed       int64          `json:"seed"`
	Aggregate  string         `json:"aggregate"`
	// NegativeRatio, Convention and Cross repeat the settings.
	NegativeRatio float64 `json:"negative_ratio"`
	Convention    string  `json:"convention,omitempty"`
	Cross         bool    `json:"cross,omitempty"`
	// Sessions is the global session-level ROC (every trial pooled),
	// Actions the action-level one (every scored action, labelled by its
	// session).
	Sessions HoldoutLevel `json:"sessions"`
	Actions  HoldoutLevel `json:"actions"`
	// UserMeanAUC and UserSDAUC are the mean and population sd over the
	// UsersDefined users with a per-user session AUC (both 0, not defined,
	// when UsersDefined is 0).
	UserMeanAUC  float64       `json:"user_mean_session_auc"`
	UserSDAUC    float64       `json:"user_sd_session_auc"`
	UsersDefined int           `json:"users_defined"`
	Users        []HoldoutUser `json:"users"`
	Scores       []TrialScore  `json:"scores,omitempty"`
	Unlabelled   []SessionRef  `json:"unlabelled,omitempty"`
	Seconds      float64       `json:"seconds"`
	Seeds        *HoldoutSeeds `json:"seeds,omitempty"`
	// Stats are the pooled figures over every seed with their intervals
	// over claimed users.
	Stats *HoldoutStats `json:"stats,omitempty"`
}

// HoldoutStats are a held-out evaluation's pooled figures, every trial of
// every seed pooled, with bootstrap intervals over the claimed users (each
// drawn user brings all the sessions claiming it).
type HoldoutStats struct {
	Unit      string `json:"unit"`
	Resamples int    `json:"resamples"`
	Seeds     int    `json:"seeds"`
	Users     int    `json:"users"`
	// Sessions: the session scores; Actions: every action, labelled by its
	// session.
	SessionAUC  Estimate `json:"session_auc"`
	SessionEER  Estimate `json:"session_eer"`
	SessionFNMR Estimate `json:"session_fnmr_at_fmr_1pct"`
	SessionZero Estimate `json:"session_zero_fmr"`
	ActionAUC   Estimate `json:"action_auc"`
	ActionEER   Estimate `json:"action_eer"`
}

// holdoutStats computes the statistics of the held-out results of runs
// (one per seed, the same set).
func holdoutStats(results []HoldoutResult, o StatsOptions) (*HoldoutStats, error) {
	users := map[string]int32{}
	var sess, acts []sample
	for _, h := range results {
		for _, ts := range h.Scores {
			u, ok := users[ts.User]
			if !ok {
				u = int32(len(users))
				users[ts.User] = u
			}
			sess = append(sess, sample{ts.Score, ts.Genuine, u})
			for _, a := range ts.actionScores {
				acts = append(acts, sample{a, ts.Genuine, u})
			}
		}
	}
	B := o.resamples()
	sp, err := pooledFigures(newPool(sess, len(users)), B, o.rng("holdout/sessions"), true)
	if err != nil {
		return nil, fmt.Errorf("sessions: %w", err)
	}
	hs := &HoldoutStats{Unit: "claimed users", Resamples: B, Seeds: len(results), Users: len(users),
		SessionAUC: sp.AUC, SessionEER: sp.EER, SessionFNMR: sp.FNMRAtFMR1, SessionZero: sp.ZeroFMR}
	if len(acts) > 0 {
		ap, err := pooledFigures(newPool(acts, len(users)), B, o.rng("holdout/actions"), true)
		if err != nil {
			return nil, fmt.Errorf("actions: %w", err)
		}
		hs.ActionAUC, hs.ActionEER = ap.AUC, ap.EER
	}
	return hs, nil
}

// compact is h without curves and session scores (for [SeedRun]).
func (h HoldoutResult) compact() HoldoutResult {
	h.Sessions.ROC, h.Actions.ROC = ROCCurve{}, ROCCurve{}
	h.Scores, h.Unlabelled = nil, nil
	return h
}

// ExtractorName is what [EvaluateHoldout] records as the extractor of
// features it knows were extracted by mouseauth's preprocess package.
const ExtractorName = "mouseauth/preprocess"

// EvaluateHoldout trains a model per claimed user of set on its training
// set and scores every trial: see [HoldoutResult]. It also returns the
// models, with headers recording the classifier, its parameters, the
// feature schema (extractor, convention, names) and the seed, ready to save.
func EvaluateHoldout(ctx context.Context, set *HoldoutSet, o HoldoutOptions) (HoldoutResult, Models, error) {
	if o.Classifier == nil {
		return HoldoutResult{}, Models{}, errors.New("holdout: no classifier")
	}
	if o.Aggregate == "" {
		o.Aggregate = AggMean
	}
	if _, err := ParseAggregate(string(o.Aggregate)); err != nil {
		return HoldoutResult{}, Models{}, err
	}
	if o.NegativeRatio < 0 {
		return HoldoutResult{}, Models{}, fmt.Errorf("negative ratio %v: must be > 0", o.NegativeRatio)
	}
	if o.NegativeRatio == 0 {
		o.NegativeRatio = 1
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	t0 := now(o.Now)
	tr, te := set.Train, set.Test
	trainUsers, _ := tr.ByUser()
	rngs := classify.BatchRands(o.Seed, trainUsers)
	byClaim := map[string][]int{} // trials per claimed user
	for k, t := range set.trials {
		byClaim[t.claimed] = append(byClaim[t.claimed], k)
	}
	params, err := classify.EffectiveParams(o.Classifier.Name(), o.Params)
	if err != nil {
		params = nil // a classifier outside the registry (tests): record none
	}
	extractor, convention := set.Extractor, set.Convention

	type userOut struct {
		model   *classify.SavedModel
		trained classify.Trained
		// per trial of the user: session score, action scores
		session []float64
		actions [][]float64
	}
	outs := make([]userOut, len(set.users))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Workers)
	for ui, u := range set.users {
		g.Go(func() error {
			own, others := classify.Split(tr.Users, tr.X, u)
			trained, err := classify.TrainUser(gctx, o.Classifier, own, others, rngs[u], classify.TrainOptions{NegativeRatio: o.NegativeRatio, Now: o.Now})
			if err != nil {
				return fmt.Errorf("train %s: %w", u, err)
			}
			var created time.Time
			if o.Now != nil {
				created = o.Now().UTC()
			}
			sm := &classify.SavedModel{Model: trained.Model, Header: classify.Header{
				Classifier: o.Classifier.Name(), Params: params, Extractor: extractor, ExtractorVersion: set.ExtractorVersion,
				Convention: convention, FeatureNames: slices.Clone(tr.Names), User: u, Genuine: trained.Genuine,
				Impostor: trained.Impostor, Seed: o.Seed, Created: created}}
			out := userOut{model: sm, trained: trained}
			x := make([]float64, len(set.columns))
			for _, k := range byClaim[u] {
				t := set.trials[k]
				s := make([]float64, len(t.rows))
				for a, r := range t.rows {
					for c, j := range set.columns {
						x[c] = te.X[r][j]
					}
					s[a] = trained.Model.Score(x)
					if math.IsNaN(s[a]) {
						return fmt.Errorf("the model of %s scored an action of session %s/%s NaN", u, t.ref.User, t.ref.Session)
					}
				}
				if err := gctx.Err(); err != nil {
					return err
				}
				out.session = append(out.session, o.Aggregate.Apply(s))
				out.actions = append(out.actions, s)
			}
			outs[ui] = out
			if o.Progress != nil {
				o.Progress()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return HoldoutResult{}, Models{}, err
	}

	res := HoldoutResult{Train: set.TrainName, Test: set.TestName, Classifier: o.Classifier.Name(), Params: o.Params,
		Seed: o.Seed, Aggregate: string(o.Aggregate), NegativeRatio: o.NegativeRatio, Convention: convention,
		Cross: set.Cross, Unlabelled: set.Unlabelled}
	models := Models{ByUser: map[string]*classify.SavedModel{}}
	var allS, allA []float64
	var allSL, allAL []bool
	var userAUCs []float64
	for ui, u := range set.users {
		out := outs[ui]
		models.ByUser[u] = out.model
		hu := HoldoutUser{User: u, TrainRows: out.trained.Genuine, TrainSecs: out.trained.Seconds}
		var sS, sA []float64
		var lS, lA []bool
		for n, k := range byClaim[u] {
			t := set.trials[k]
			ts := TrialScore{User: u, Session: t.ref.Session, Genuine: t.genuine, Actions: len(t.rows), Score: out.session[n],
				actionScores: out.actions[n]}
			if t.ref.User != u {
				ts.Folder = t.ref.User
			}
			res.Scores = append(res.Scores, ts)
			if t.genuine {
				hu.GenuineSessions++
			} else {
				hu.ImpostorSessions++
			}
			hu.Actions += len(t.rows)
			sS, lS = append(sS, out.session[n]), append(lS, t.genuine)
			for _, a := range out.actions[n] {
				sA, lA = append(sA, a), append(lA, t.genuine)
			}
		}
		allS, allSL = append(allS, sS...), append(allSL, lS...)
		allA, allAL = append(allA, sA...), append(allAL, lA...)
		_, auc, eer, _, err := ComputeROC(sS, lS)
		switch {
		case errors.Is(err, ErrOneClass):
			hu.NA = fmt.Sprintf("%d genuine and %d impostor test sessions: AUC undefined", hu.GenuineSessions, hu.ImpostorSessions)
		case err != nil:
			return HoldoutResult{}, Models{}, fmt.Errorf("user %s: %w", u, err)
		default:
			_, aauc, _, _, err := ComputeROC(sA, lA)
			if err != nil {
				return HoldoutResult{}, Models{}, fmt.Errorf("user %s actions: %w", u, err)
			}
			hu.SessionAUC, hu.SessionEER, hu.ActionAUC = &auc, &eer, &aauc
			userAUCs = append(userAUCs, auc)
		}
		res.Users = append(res.Users, hu)
	}
	var err2 error
	if res.Sessions, err2 = holdoutLevel(allS, allSL); err2 != nil {
		return HoldoutResult{}, Models{}, fmt.Errorf("sessions: %w", err2)
	}
	if res.Actions, err2 = holdoutLevel(allA, allAL); err2 != nil {
		return HoldoutResult{}, Models{}, fmt.Errorf("actions: %w", err2)
	}
	res.UsersDefined = len(userAUCs)
	if len(userAUCs) > 0 {
		res.UserMeanAUC, res.UserSDAUC = stat.PopMeanStdDev(userAUCs, nil)
	}
	sort.SliceStable(res.Scores, func(i, j int) bool { return res.Scores[i].User < res.Scores[j].User })
	if o.Now != nil {
		res.Seconds = o.Now().Sub(t0).Seconds()
	}
	return res, models, nil
}

func holdoutLevel(scores []float64, genuine []bool) (HoldoutLevel, error) {
	roc, auc, eer, _, err := ComputeROC(scores, genuine)
	if err != nil {
		return HoldoutLevel{}, err
	}
	l := HoldoutLevel{AUC: auc, EER: eer, ROC: roc}
	for _, g := range genuine {
		if g {
			l.Genuine++
		} else {
			l.Impostor++
		}
	}
	return l, nil
}

func holdoutSpread(seeds []int64, per []HoldoutResult) *HoldoutSeeds {
	get := func(f func(HoldoutResult) float64) SeedStat {
		v := make([]float64, len(per))
		for k, h := range per {
			v[k] = f(h)
		}
		return NewSeedStat(v)
	}
	hs := &HoldoutSeeds{Seeds: seeds,
		SessionAUC: get(func(h HoldoutResult) float64 { return h.Sessions.AUC }),
		SessionEER: get(func(h HoldoutResult) float64 { return h.Sessions.EER }),
		ActionAUC:  get(func(h HoldoutResult) float64 { return h.Actions.AUC }),
		ActionEER:  get(func(h HoldoutResult) float64 { return h.Actions.EER }),
	}
	// The per-user figures only where every seed defines them.
	if !slices.ContainsFunc(per, func(h HoldoutResult) bool { return h.UsersDefined == 0 }) {
		hs.UserMeanAUC = get(func(h HoldoutResult) float64 { return h.UserMeanAUC })
		hs.UserSDAUC = get(func(h HoldoutResult) float64 { return h.UserSDAUC })
	}
	return hs
}
