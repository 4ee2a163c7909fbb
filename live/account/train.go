package account

import (
	"bytes"
	"context"
	"fmt"
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

// TrainModel fits user's model on own rows against others' with
// [classify.TrainUser] and returns the model file bytes. The random stream
// is [classify.VersionRand] of (Seed, user, version), so a retraining is
// reproducible. Rows are live vectors, extracted by preprocess with the
// clean convention: the model records that schema (extractor, convention
// and the 39 feature names).
func TrainModel(ctx context.Context, user string, version int, own, others [][]float64, o TrainOptions, now time.Time) ([]byte, error) {
	if o.Classifier == "" {
		o.Classifier = "rf"
	}
	c, err := classify.New(o.Classifier, o.Params)
	if err != nil {
		return nil, err
	}
	tr, err := classify.TrainUser(ctx, c, own, others, classify.VersionRand(o.Seed, user, version), classify.TrainOptions{})
	if err != nil {
		return nil, fmt.Errorf("train %s v%d: %w", user, version, err)
	}
	params := map[string]string{}
	for k, v := range o.Params {
		params[k] = fmt.Sprint(v)
	}
	params["version"] = strconv.Itoa(version)
	var buf bytes.Buffer
	err = classify.Save(&buf, &classify.SavedModel{Model: tr.Model, Header: classify.Header{
		Classifier: c.Name(), Params: params, User: user,
		Extractor: preprocess.ExtractorID, ExtractorVersion: preprocess.ExtractorVersion,
		Convention: preprocess.Clean.String(), FeatureNames: preprocess.FeatureNames[:],
		Genuine: tr.Genuine, Impostor: tr.Impostor, Seed: o.Seed, Created: now.UTC()}})
	return buf.Bytes(), err
}
