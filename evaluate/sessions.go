package evaluate

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Models are saved models to score sessions with: Single scores every row
// (is this the model's user?), otherwise ByUser scores each row with its
// own user's model (is this really the user it claims to be?).
type Models struct {
	Single *classify.SavedModel
	ByUser map[string]*classify.SavedModel
	// Files names each model's file, for errors (set by [LoadModels]).
	Files map[*classify.SavedModel]string
}

// For returns the model that scores user's rows, or nil.
func (m Models) For(user string) *classify.SavedModel {
	if m.Single != nil {
		return m.Single
	}
	return m.ByUser[user]
}

// All returns the models: Single, or ByUser's in user order.
func (m Models) All() []*classify.SavedModel {
	if m.Single != nil {
		return []*classify.SavedModel{m.Single}
	}
	var out []*classify.SavedModel
	for _, u := range slices.Sorted(maps.Keys(m.ByUser)) {
		out = append(out, m.ByUser[u])
	}
	return out
}

// Name names model sm in messages: its file where known, and its user.
func (m Models) Name(sm *classify.SavedModel) string {
	if f := m.Files[sm]; f != "" {
		return fmt.Sprintf("the model of %s (%s)", sm.Header.User, f)
	}
	return "the model of " + sm.Header.User
}

// Convention returns the feature convention the models were trained on
// (classify.Header.Convention: "clean", "reference" or
// [classify.SchemaUnknown]); models of different conventions are an error
// naming two of them, since raw logs are extracted once for all of them.
func (m Models) Convention() (string, error) {
	all := m.All()
	if len(all) == 0 {
		return "", errors.New("no models")
	}
	conv := func(sm *classify.SavedModel) string {
		if c := sm.Header.Convention; c != "" {
			return c
		}
		return classify.SchemaUnknown
	}
	first := all[0]
	for _, sm := range all[1:] {
		if conv(sm) != conv(first) {
			return "", fmt.Errorf("%s was trained on %s features, %s on %s features: score them apart",
				m.Name(first), conv(first), m.Name(sm), conv(sm))
		}
	}
	return conv(first), nil
}

// LoadModels reads a model file (Single) or every *.model file of a folder
// (ByUser, keyed by the user in each header; two files of one user are an
// error). Errors name the file.
func LoadModels(path string) (Models, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Models{}, err
	}
	if !fi.IsDir() {
		m, err := loadModel(path)
		if err != nil {
			return Models{}, err
		}
		return Models{Single: m, Files: map[*classify.SavedModel]string{m: path}}, nil
	}
	paths, _ := filepath.Glob(filepath.Join(path, "*.model"))
	if len(paths) == 0 {
		return Models{}, fmt.Errorf("%s: no .model files", path)
	}
	ms := Models{ByUser: map[string]*classify.SavedModel{}, Files: map[*classify.SavedModel]string{}}
	for _, p := range paths {
		m, err := loadModel(p)
		if err != nil {
			return Models{}, err
		}
		if prev, dup := ms.ByUser[m.Header.User]; dup {
			return Models{}, fmt.Errorf("%s and %s are both models of user %q: keep one", ms.Files[prev], p, m.Header.User)
		}
		ms.ByUser[m.Header.User] = m
		ms.Files[m] = p
	}
	return ms, nil
}

func loadModel(path string) (*classify.SavedModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := classify.Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// SessionScore is one session's score: the aggregate (by default the mean)
// of its actions' scores, the probability that they are the genuine user's.
type SessionScore struct {
	User, Session string // Session is empty when the table names none
	Actions       int
	Score         float64
}

// ActionScore is one row's score: Row indexes the table scored.
type ActionScore struct {
	Row           int
	User, Session string
	Score         float64
}

// AggregateOf returns a's aggregate of xs, the same code as a window's
// score (see [Windows]): a session's score is the aggregate of all its
// actions' scores, so a deployed session score equals an evaluated window
// over the same actions. xs is not modified; an empty xs gives NaN.
func AggregateOf(a Aggregate, xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return a.Apply(xs)
}

// ScoreSessions scores every row of d with its model (see [ScoreActions])
// and returns one score per user and session, the mean of its actions'
// scores, in order of first appearance, and the number of rows skipped per
// user without a model. See [AggregateSessions] for other aggregates.
func ScoreSessions(ctx context.Context, d *preprocess.Table, models Models) ([]SessionScore, map[string]int, error) {
	actions, missing, err := ScoreActions(ctx, d, models)
	if err != nil {
		return nil, missing, err
	}
	return AggregateSessions(actions, AggMean), missing, nil
}

// ScoreActions scores every row of d with its model (see [Models.For]), in
// table order, and returns the number of rows skipped per user without a
// model. Each model's features are taken from d's columns by name
// (classify.Header.Columns), so columns in another order score right; it
// fails, naming the model (and its file) and the column, when d lacks a
// feature of a model or names a column the model does not know in its
// place, when d names no columns, when d's features were extracted with
// another convention than the model's (both known), and when nothing was
// scored.
func ScoreActions(ctx context.Context, d *preprocess.Table, models Models) ([]ActionScore, map[string]int, error) {
	type mapping struct {
		idx      []int // model feature k is d's column idx[k]
		identity bool
	}
	mappings := map[*classify.SavedModel]*mapping{}
	mapFor := func(m *classify.SavedModel) (*mapping, error) {
		if mp, ok := mappings[m]; ok {
			return mp, nil
		}
		if len(d.Names) == 0 {
			return nil, fmt.Errorf("the table names no feature columns, so they cannot be matched to the features of %s by name", models.Name(m))
		}
		if tc, mc := d.Convention, m.Header.Convention; tc != "" && tc != classify.SchemaUnknown && mc != "" && mc != classify.SchemaUnknown && tc != mc {
			return nil, fmt.Errorf("the table holds %s features, %s was trained on %s features: extract them with --compat %s",
				tc, models.Name(m), mc, mc)
		}
		idx, err := m.Header.Columns(d.Names)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", models.Name(m), err)
		}
		mp := &mapping{idx: idx, identity: len(idx) == len(d.Names)}
		for k, j := range idx {
			mp.identity = mp.identity && k == j
		}
		mappings[m] = mp
		return mp, nil
	}
	var out []ActionScore
	missing := map[string]int{}
	var buf []float64
	for i, x := range d.X {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		m := models.For(d.Users[i])
		if m == nil {
			missing[d.Users[i]]++
			continue
		}
		mp, err := mapFor(m)
		if err != nil {
			return nil, missing, err
		}
		v := x
		if !mp.identity {
			buf = buf[:0]
			for _, j := range mp.idx {
				buf = append(buf, x[j])
			}
			v = buf
		}
		a := ActionScore{Row: i, User: d.Users[i], Score: m.Model.Score(v)}
		if d.Sessions != nil {
			a.Session = d.Sessions[i]
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		if len(missing) > 0 {
			return nil, missing, fmt.Errorf("nothing scored: none of the table's %d users has a model (the models are of %s)",
				len(missing), strings.Join(slices.Sorted(maps.Keys(models.ByUser)), ", "))
		}
		return nil, missing, errors.New("nothing scored: the table has no rows")
	}
	return out, missing, nil
}

// AggregateSessions groups action scores by user and session, in order of
// first appearance, and scores each session by agg of its actions' scores
// ("" is the mean), with [Aggregate.Of].
func AggregateSessions(actions []ActionScore, agg Aggregate) []SessionScore {
	if agg == "" {
		agg = AggMean
	}
	type key struct{ user, session string }
	index := map[key]int{}
	var out []SessionScore
	var scores [][]float64
	for _, a := range actions {
		k := key{a.User, a.Session}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			out = append(out, SessionScore{User: a.User, Session: a.Session})
			scores = append(scores, nil)
		}
		out[j].Actions++
		scores[j] = append(scores[j], a.Score)
	}
	for j := range out {
		out[j].Score = AggregateOf(agg, scores[j])
	}
	return out
}
