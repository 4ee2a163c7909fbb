package account

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/decide"
	"github.com/mouseauth/mouseauth/preprocess"
)

// ErrModelSchema: a model file loads, but its features are not the live
// pipeline's: clients send vectors of preprocess.FeatureNames, in that
// order, and a model for other features would score them wrong (or, for
// more features, read past them).
var ErrModelSchema = errors.New("model features are not the pipeline's")

// WithDecision returns sm's file bytes with the decision policy policy
// recorded (classify.Header.Decision), as decide.ParsePolicy reads it and
// writes it back.
func WithDecision(sm *classify.SavedModel, policy string) ([]byte, error) {
	p, err := decide.ParsePolicy(policy)
	if err != nil {
		return nil, err
	}
	m := *sm
	m.Header.Decision = p.String()
	var b bytes.Buffer
	if err := classify.Save(&b, &m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// CheckModel loads a model file as the scoring service will and checks it
// against the pipeline's feature schema: [classify.Load] validates the
// file against its own header (every tree node splits on a feature of the
// schema, every weight is finite, ...), then the header's feature names
// must be preprocess.FeatureNames in order. Errors wrap classify.ErrInvalid
// (or another classify error) or [ErrModelSchema] and say what is wrong.
func CheckModel(data []byte) (*classify.SavedModel, error) {
	sm, err := classify.Load(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	names := sm.Header.FeatureNames
	if len(names) != preprocess.NumFeatures {
		return nil, fmt.Errorf("%w: the model takes %d features, the pipeline sends %d (%s ... %s)", ErrModelSchema,
			len(names), preprocess.NumFeatures, preprocess.FeatureNames[0], preprocess.FeatureNames[preprocess.NumFeatures-1])
	}
	for i, n := range names {
		if n != preprocess.FeatureNames[i] {
			return nil, fmt.Errorf("%w: the model's feature %d is %q, the pipeline sends %q there", ErrModelSchema, i+1, n, preprocess.FeatureNames[i])
		}
	}
	return sm, nil
}

// Check applies sm's guard to a live vector x ([classify.SavedModel.Check]).
// A model of format version 2 or older records no physical bounds: the
// pipeline's own (preprocess.Plausible, clean convention) are applied in
// their place, so such a model is checked by the physical bounds only (no
// range, no novelty gate) until it is retrained.
func Check(sm *classify.SavedModel, x []float64) classify.Check {
	c := sm.Check(x)
	if sm.Header.Bounds == nil && !c.Implausible {
		if ok, why := preprocess.Plausible(x, preprocess.Clean); !ok {
			return classify.Check{Implausible: true, Why: "outside the physical bounds: " + why}
		}
	}
	return c
}

// Flags returns the decision engine's flags of a checked vector:
// decide.Implausible and decide.Novel as c says.
func Flags(c classify.Check) decide.Flags { return decide.GateFlags(c.Implausible, c.Novel) }
