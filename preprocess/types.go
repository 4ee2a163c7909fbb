package preprocess

import "github.com/mouseauth/mouseauth/dataset"

// ActionKind is the type of a mouse action; the values are the codes of the
// published feature files.
type ActionKind uint8

// Action kinds.
const (
	MM ActionKind = 1 // mouse move
	PC ActionKind = 3 // point-click
	DD ActionKind = 4 // drag-and-drop
)

func (k ActionKind) String() string {
	switch k {
	case MM:
		return "MM"
	case PC:
		return "PC"
	case DD:
		return "DD"
	}
	return "?"
}

// Action is a segment of a session's events.
type Action struct {
	Kind   ActionKind
	Events []dataset.Event
}

// NumFeatures is the length of a feature vector.
const NumFeatures = 39

// FeatureNames are the 39 per-action features in the order of the published
// Balabit feature files (see docs/actions-and-features.md, "The 39
// features", for each definition and unit). Times are seconds, distances
// pixels.
var FeatureNames = [NumFeatures]string{
	"type_of_action", "traveled_distance_pixel", "elapsed_time", "direction_of_movement",
	"straightness", "num_points", "sum_of_angles",
	"mean_curv", "sd_curv", "max_curv", "min_curv",
	"mean_omega", "sd_omega", "max_omega", "min_omega",
	"largest_deviation", "dist_end_to_end_line", "num_critical_points",
	"mean_vx", "sd_vx", "max_vx", "min_vx",
	"mean_vy", "sd_vy", "max_vy", "min_vy",
	"mean_v", "sd_v", "max_v", "min_v",
	"mean_a", "sd_a", "max_a", "min_a",
	"mean_jerk", "sd_jerk", "max_jerk", "min_jerk",
	"a_beg_time",
}

// The extractor of this package as a model records it (classify.Header's
// Extractor and ExtractorVersion): the version changes whenever a feature's
// definition does, so that a model is never fed features of another
// definition.
const (
	ExtractorID      = "mouseauth/preprocess"
	ExtractorVersion = "1"
	// PublishedExtractor is the extractor of the published feature files
	// (margitantal68/mouse_dynamics_balabit_chaoshen_dfl); [Reference] mode
	// follows its conventions.
	PublishedExtractor = "published"
)

// FeatureVector is one action's features with where it came from.
//
// A feature CSV written by mouseauth has the header
//
//	user,session,action,start,convention,<FeatureNames...>
//
// where action is the 0-based index of the action in its session, start is
// the time of its first event in seconds and convention the [Compat] the
// features were extracted with ("clean" or "reference"), so that whoever
// reads the file, a model trained on it included, knows it.
type FeatureVector struct {
	User    string
	Session string
	Index   int     // action index within the session, from 0
	Start   float64 // time of the action's first event, seconds
	Compat  Compat  // the conventions the features were extracted with
	Values  [NumFeatures]float64
}

// Kind returns the action kind recorded in the vector.
func (v *FeatureVector) Kind() ActionKind { return ActionKind(v.Values[0]) }

// FeatureCSVHeader is the header of mouseauth's own feature CSVs.
var FeatureCSVHeader = append([]string{"user", "session", "action", "start", "convention"}, FeatureNames[:]...)
