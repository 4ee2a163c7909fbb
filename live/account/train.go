package account

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// TrainOptions choose the classifier of enrolment and retraining.
type TrainOptions struct {
	Classifier string         // default "rf" (random forest)
	Params     map[string]any // classify.New parameters, e.g. {"trees": 100}
	Seed       int64
}

// TrainModel fits user's model on own rows against others' and returns the
// model file bytes. The seed of the fit is derived from (Seed, user,
// version) so a retraining is reproducible.
func TrainModel(ctx context.Context, user string, version int, own, others [][]float64, o TrainOptions, now time.Time) ([]byte, error) {
	if o.Classifier == "" {
		o.Classifier = "rf"
	}
	c, err := classify.New(o.Classifier, o.Params)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%d", o.Seed, user, version)
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x11fe))
	X, y := classify.Balanced(own, others, rng)
	m, err := c.Fit(ctx, X, y, rng)
	if err != nil {
		return nil, fmt.Errorf("train %s v%d: %w", user, version, err)
	}
	params := map[string]string{}
	for k, v := range o.Params {
		params[k] = fmt.Sprint(v)
	}
	params["version"] = strconv.Itoa(version)
	var buf bytes.Buffer
	err = classify.Save(&buf, &classify.SavedModel{Model: m, Header: classify.Header{
		Classifier: c.Name(), Params: params, FeatureNames: preprocess.FeatureNames[:], User: user,
		Genuine: len(own), Impostor: len(X) - len(own), Seed: o.Seed, Created: now.UTC()}})
	return buf.Bytes(), err
}
