package account

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/preprocess"
)

// TrainOptions choose how enrolment and retraining train.
type TrainOptions struct {
	// Preset names the training settings ([classify.Preset]); "" is the
	// improved preset, what the evaluation recommends: gradient-boosted
	// trees on 8 impostor and 1 background negative per genuine row, with
	// the user's range recorded as the model's guard.
	Preset string
	// Classifier overrides the preset's classifier ("" keeps it); Params
	// override or add to its parameters, e.g. {"trees": 100}. "trees" is
	// dropped for a classifier that takes none (it is the forests' tree
	// count, as --trees gives it).
	Classifier string
	Params     map[string]any
	Seed       int64
	// Decision is the decision policy the model records
	// (classify.Header.Decision), checked with decide.ParsePolicy; ""
	// records decide.DefaultPolicy.
	Decision string
}

// Settings returns the training settings o names: the preset's, with the
// classifier and parameters o overrides, and the decision policy to
// record.
func (o TrainOptions) Settings() (classify.TrainSettings, string, error) {
	name := o.Preset
	if name == "" {
		name = classify.PresetImproved
	}
	s, err := classify.Preset(name)
	if err != nil {
		return s, "", err
	}
	if o.Classifier != "" && o.Classifier != s.Classifier {
		s.Classifier, s.Params = o.Classifier, map[string]any{}
	}
	for k, v := range o.Params {
		if k == "trees" && !classify.HasParam(s.Classifier, "trees") {
			continue
		}
		s.Params[k] = v
	}
	policy := o.Decision
	if policy == "" {
		policy = decide.DefaultPolicy().String()
	}
	p, err := decide.ParsePolicy(policy)
	if err != nil {
		return s, "", err
	}
	return s, p.String(), nil
}

// TrainModel fits user's model on own rows against others' with
// [classify.TrainUser], by the settings of o ([TrainOptions.Settings]), and
// returns the model file bytes. The random stream is
// [classify.VersionRand] of (Seed, user, version), so a retraining is
// reproducible. Rows are live vectors, extracted by preprocess with the
// clean convention: the model records that schema (extractor, convention
// and the 39 feature names), its physical bounds
// (preprocess.PhysicalBounds), the guard the settings fit on own (the
// user's range, the novelty gate if any) and the decision policy.
func TrainModel(ctx context.Context, user string, version int, own, others [][]float64, o TrainOptions, now time.Time) ([]byte, error) {
	s, policy, err := o.Settings()
	if err != nil {
		return nil, fmt.Errorf("train %s v%d: %w", user, version, err)
	}
	c, err := classify.New(s.Classifier, s.Params)
	if err != nil {
		return nil, err
	}
	effective, err := classify.EffectiveParams(s.Classifier, s.Params)
	if err != nil {
		return nil, err
	}
	bounds := PhysicalBounds()
	tr, err := classify.TrainUser(ctx, c, own, others, classify.VersionRand(o.Seed, user, version), s.Options(bounds))
	if err != nil {
		return nil, fmt.Errorf("train %s v%d: %w", user, version, err)
	}
	params := map[string]string{}
	for k, v := range effective {
		params[k] = v
	}
	params["version"] = strconv.Itoa(version)
	params["negative_ratio"] = strconv.FormatFloat(s.NegativeRatio, 'g', -1, 64)
	params["background_rows"] = strconv.Itoa(tr.Background)
	if o.Preset != "" || o.Classifier == "" {
		params["preset"] = presetName(o.Preset)
	}
	h := classify.Header{
		Classifier: c.Name(), Params: params, User: user,
		Extractor: preprocess.ExtractorID, ExtractorVersion: preprocess.ExtractorVersion,
		Convention: preprocess.Clean.String(), FeatureNames: preprocess.FeatureNames[:],
		Genuine: tr.Genuine, Impostor: tr.Impostor, Seed: o.Seed, Created: now.UTC(), Decision: policy}
	tr.Guard(&h, bounds)
	var buf bytes.Buffer
	err = classify.Save(&buf, &classify.SavedModel{Model: tr.Model, Header: h})
	return buf.Bytes(), err
}

func presetName(p string) string {
	if p == "" {
		return classify.PresetImproved
	}
	return p
}

// PhysicalBounds returns the physical bounds of the live pipeline's
// vectors (preprocess.PhysicalBounds of the clean convention) as a model
// records them.
func PhysicalBounds() *classify.Bounds {
	p := preprocess.PhysicalBounds(preprocess.Clean)
	lo, hi, integral, values, rels, _ := p.Columns(preprocess.FeatureNames[:])
	b := &classify.Bounds{Lo: lo, Hi: hi, Integral: integral, Tol: p.Tol}
	keys := make([]int, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		b.Values = append(b.Values, classify.Allowed{Feature: k, Values: values[k]})
	}
	for _, r := range rels {
		cr := classify.Relation{Name: r.Name, Max: r.Max}
		for _, t := range r.Terms {
			cr.Terms = append(cr.Terms, classify.Term{Feature: t.Feature, Coef: t.Coef})
		}
		b.Relations = append(b.Relations, cr)
	}
	return b
}
