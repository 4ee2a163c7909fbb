package evaluate

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/mouseauth/mouseauth/classify"
	"github.com/mouseauth/mouseauth/preprocess"
)

// Models trained from, and applied to, feature tables: what
// `mouseauth classify train|score` and `evaluate holdout` share.

// Schema is what a model records about the features it was trained on
// (classify.Header's Extractor, ExtractorVersion and Convention).
type Schema struct {
	Extractor, ExtractorVersion, Convention string
}

// Known reports whether the convention is known (raw logs can then be
// extracted for the model without --compat).
func (s Schema) Known() bool { return s.Convention != classify.SchemaUnknown }

// TableConvention returns the convention of d's features: the file's, or
// compat ("", clean or reference) where the file does not say; "" means
// unknown. A compat that contradicts the file is an error naming path.
func TableConvention(path string, d *preprocess.Table, compat string) (string, error) {
	switch {
	case compat == "" || compat == d.Convention:
		return d.Convention, nil
	case d.Convention == "":
		return compat, nil
	}
	why := "as its convention column says"
	if d.Extractor == preprocess.PublishedExtractor {
		why = "as a published file (a userid column) made by the published extractor"
	}
	return "", fmt.Errorf("%s holds %s features, %s: --compat %s contradicts it", path, d.Convention, why, compat)
}

// TableSchema returns the schema models trained on d record: its
// extractor (with this build's extractor version when the table is
// mouseauth's) and [TableConvention]; what is not known is
// classify.SchemaUnknown.
func TableSchema(path string, d *preprocess.Table, compat string) (Schema, error) {
	conv, err := TableConvention(path, d, compat)
	if err != nil {
		return Schema{}, err
	}
	s := Schema{Extractor: d.Extractor, Convention: conv}
	switch s.Extractor {
	case preprocess.ExtractorID:
		s.ExtractorVersion = preprocess.ExtractorVersion
	case "":
		s.Extractor = classify.SchemaUnknown
	}
	if s.Convention == "" {
		s.Convention = classify.SchemaUnknown
	}
	return s, nil
}

// ExtractCompat returns the convention raw logs are extracted with to be
// scored by m: the models' own, or compat where they do not record it.
// Models whose features this build cannot extract (another extractor
// version, an unknown extractor), a missing compat where one is needed and
// a compat that contradicts the models are errors; path names the models
// in them.
func (m Models) ExtractCompat(path, compat string) (preprocess.Compat, error) {
	conv, err := m.Convention()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	for _, sm := range m.All() {
		switch h := sm.Header; h.Extractor {
		case preprocess.ExtractorID:
			if h.ExtractorVersion != "" && h.ExtractorVersion != preprocess.ExtractorVersion {
				return 0, fmt.Errorf("%s: its features were made by %s version %s; this build extracts version %s: retrain it",
					m.Name(sm), h.Extractor, h.ExtractorVersion, preprocess.ExtractorVersion)
			}
		case preprocess.PublishedExtractor, classify.SchemaUnknown, "":
		default:
			return 0, fmt.Errorf("%s: its features were made by %q, which this build cannot extract from raw logs", m.Name(sm), h.Extractor)
		}
	}
	if conv == classify.SchemaUnknown {
		if compat == "" {
			return 0, fmt.Errorf("%s: the models do not record their feature convention: give --compat clean or reference, the --compat their features were extracted with",
				path)
		}
		conv = compat
	} else if compat != "" && compat != conv {
		return 0, fmt.Errorf("--compat %s, but the models in %s were trained on %s features: leave --compat out", compat, path, conv)
	}
	c, ok := preprocess.ParseCompat(conv)
	if !ok {
		return 0, fmt.Errorf("%s: unknown feature convention %q (want clean or reference)", m.Name(m.All()[0]), conv)
	}
	return c, nil
}

// PublishedModel returns a model trained on the published extractor's
// features, or nil: raw logs extracted for it by mouseauth with --compat
// reference reproduce most but not all published rows.
func (m Models) PublishedModel() *classify.SavedModel {
	for _, sm := range m.All() {
		if sm.Header.Extractor == preprocess.PublishedExtractor {
			return sm
		}
	}
	return nil
}

// TrainOptions configure [TrainModels].
type TrainOptions struct {
	Classifier string
	// Params are the classifier's parameters (classify.ParseParams).
	Params map[string]any
	// NegativeRatio is the impostor rows drawn per genuine row (0: 1).
	NegativeRatio float64
	// Background is the synthetic background negatives per genuine row
	// (classify.BackgroundRows); Guard the guard fitted on each user's
	// rows. The models record the guard with the table's physical bounds
	// (ModelBounds, where known).
	Background float64
	Guard      classify.GuardSettings
	// Preset, when set, is recorded in the models' parameters.
	Preset string
	// Seed derives every user's random stream (classify.BatchRands) from
	// the table's users, so a user's model does not depend on User.
	Seed int64
	// User, when set, trains only that user.
	User   string
	Schema Schema
	// Now stamps the models' creation time (default time.Now); the fits
	// are timed by the system clock.
	Now func() time.Time
}

// TrainedModel is one user's model as [TrainModels] made it.
type TrainedModel struct {
	User              string
	Model             *classify.SavedModel
	Genuine, Impostor int
	Seconds           float64
}

// TrainModels trains one model per user of d (or o.User alone), each on
// the user's rows against negatives drawn from the other users'
// (classify.TrainUser), and hands each to save in the table's user order.
// path names d in errors. It returns the users it will train before the
// first fit through plan (for a progress display), which may be nil.
func TrainModels(ctx context.Context, path string, d *preprocess.Table, o TrainOptions, plan func(users int), save func(TrainedModel) error) error {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	users, rows := d.ByUser()
	rngs := classify.BatchRands(o.Seed, users) // of every user, before o.User picks one
	if o.User != "" {
		if _, ok := rows[o.User]; !ok {
			return fmt.Errorf("%s: no user %q (users: %s)", path, o.User, strings.Join(users, ", "))
		}
		users = []string{o.User}
	}
	c, err := classify.New(o.Classifier, o.Params)
	if err != nil {
		return err
	}
	effective, err := classify.EffectiveParams(o.Classifier, o.Params)
	if err != nil {
		return err
	}
	if plan != nil {
		plan(len(users))
	}
	bounds := ModelBounds(d.Names, o.Schema.Extractor, o.Schema.Convention)
	for _, u := range users {
		if err := ctx.Err(); err != nil {
			return err
		}
		own, others := classify.Split(d.Users, d.X, u)
		tr, err := classify.TrainUser(ctx, c, own, others, rngs[u], classify.TrainOptions{NegativeRatio: o.NegativeRatio,
			Background: o.Background, Bounds: bounds, Guard: o.Guard, Now: time.Now})
		if err != nil {
			return fmt.Errorf("train %s: %w", u, err)
		}
		params := maps.Clone(effective)
		if o.Preset != "" {
			params["preset"] = o.Preset
		}
		if tr.Background > 0 {
			params["background_rows"] = strconv.Itoa(tr.Background)
		}
		sm := &classify.SavedModel{Model: tr.Model, Header: classify.Header{
			Classifier: c.Name(), Params: params,
			Extractor: o.Schema.Extractor, ExtractorVersion: o.Schema.ExtractorVersion, Convention: o.Schema.Convention,
			FeatureNames: d.Names, User: u, Genuine: tr.Genuine, Impostor: tr.Impostor, Seed: o.Seed, Created: now().UTC(),
		}}
		tr.Guard(&sm.Header, bounds)
		if err := save(TrainedModel{User: u, Model: sm, Genuine: tr.Genuine, Impostor: tr.Impostor, Seconds: tr.Seconds}); err != nil {
			return err
		}
	}
	return nil
}
