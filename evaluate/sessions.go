package evaluate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Models are saved models to score sessions with: Single scores every row
// (is this the model's user?), otherwise ByUser scores each row with its
// own user's model (is this really the user it claims to be?).
type Models struct {
	Single *classify.SavedModel
	ByUser map[string]*classify.SavedModel
}

// For returns the model that scores user's rows, or nil.
func (m Models) For(user string) *classify.SavedModel {
	if m.Single != nil {
		return m.Single
	}
	return m.ByUser[user]
}

// LoadModels reads a model file (Single) or every *.model file of a folder
// (ByUser, keyed by the user in each header). Errors name the file.
func LoadModels(path string) (Models, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Models{}, err
	}
	if !fi.IsDir() {
		m, err := loadModel(path)
		return Models{Single: m}, err
	}
	paths, _ := filepath.Glob(filepath.Join(path, "*.model"))
	if len(paths) == 0 {
		return Models{}, fmt.Errorf("%s: no .model files", path)
	}
	ms := Models{ByUser: map[string]*classify.SavedModel{}}
	for _, p := range paths {
		m, err := loadModel(p)
		if err != nil {
			return Models{}, err
		}
		ms.ByUser[m.Header.User] = m
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

// SessionScore is one session's score: the mean of its actions' scores,
// the probability that they are the genuine user's.
type SessionScore struct {
	User, Session string // Session is empty when the table names none
	Actions       int
	Score         float64
}

// ScoreSessions scores every row of d with its model (see [Models.For]) and
// returns one score per user and session, in order of first appearance,
// and the number of rows skipped per user without a model. It fails when a
// model expects another number of features than d has, and when nothing
// was scored.
func ScoreSessions(ctx context.Context, d *preprocess.Table, models Models) ([]SessionScore, map[string]int, error) {
	type key struct{ user, session string }
	index := map[key]int{}
	var out []SessionScore
	missing := map[string]int{}
	for i, x := range d.X {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		m := models.For(d.Users[i])
		if m == nil {
			missing[d.Users[i]]++
			continue
		}
		if n := len(m.Header.FeatureNames); n > 0 && n != len(x) {
			return nil, nil, fmt.Errorf("the table has %d features, the model of %s expects %d", len(x), m.Header.User, n)
		}
		k := key{user: d.Users[i]}
		if d.Sessions != nil {
			k.session = d.Sessions[i]
		}
		j, ok := index[k]
		if !ok {
			j = len(out)
			index[k] = j
			out = append(out, SessionScore{User: k.user, Session: k.session})
		}
		out[j].Actions++
		out[j].Score += m.Model.Score(x)
	}
	if len(out) == 0 {
		return nil, missing, errors.New("nothing scored")
	}
	for j := range out {
		out[j].Score /= float64(out[j].Actions)
	}
	return out, missing, nil
}
