package evaluate

import "time"

// ROCCurve is a receiver operating characteristic: FPR[i] (the false match
// rate, impostor windows accepted) and TPR[i] (1 − the false non-match
// rate, genuine windows accepted) at Thresholds[i], FPR ascending from 0 to
// 1. A mean curve may carry Lo[i] and Hi[i], the pointwise 95% interval of
// its TPR.
type ROCCurve struct {
	FPR        []float64 `json:"fpr"`
	TPR        []float64 `json:"tpr"`
	Thresholds []float64 `json:"thresholds,omitempty"`
	Lo         []float64 `json:"tpr_lo,omitempty"`
	Hi         []float64 `json:"tpr_hi,omitempty"`
}

// UserResult is one user's figures at one window size: the AUC and EER of
// the user's windows against the user's own threshold.
type UserResult struct {
	User      string   `json:"user"`
	Window    int      `json:"window"`
	AUC       float64  `json:"auc"`
	EER       float64  `json:"eer"`
	Genuine   int      `json:"genuine"`      // genuine test windows
	Impostor  int      `json:"impostor"`     // impostor test windows
	ROC       ROCCurve `json:"roc,omitzero"` // empty in [SeedRun]s
	TrainSecs float64  `json:"train_seconds"`
}

// WindowSummary is the mean and population standard deviation over users
// of the per-user AUC and EER at one window size (in a multi-seed run each
// user's figure averaged over the seeds first), and the mean per-user ROC
// curve (TPR averaged over users on [ROCGrid], with its pointwise 95%
// interval over users). Stats holds the headline figures with their
// intervals, pooled figures and operating points included.
type WindowSummary struct {
	Window  int      `json:"window"`
	MeanAUC float64  `json:"mean_auc"`
	SDAUC   float64  `json:"sd_auc"`
	MeanEER float64  `json:"mean_eer"`
	SDEER   float64  `json:"sd_eer"`
	MeanROC ROCCurve `json:"mean_roc,omitzero"`
	Users   int      `json:"users"` // users averaged (skipped ones excluded)
	// Seeds, in a multi-seed run, gives each seed's mean and sd over users.
	Seeds *SeedSpread  `json:"seeds,omitempty"`
	Stats *WindowStats `json:"stats,omitempty"`
}

// Result is one evaluation run: a protocol and classifier over all users.
type Result struct {
	Protocol   string          `json:"protocol"`   // "reference" or "strict"
	Classifier string          `json:"classifier"` // e.g. "rf"
	Params     map[string]any  `json:"params,omitempty"`
	Seed       int64           `json:"seed"`
	Windows    []int           `json:"windows"`
	Users      []UserResult    `json:"users"`
	Summary    []WindowSummary `json:"summary"`
	Seconds    float64         `json:"seconds"`
	// Aggregate is how action scores combine into a window score ("mean",
	// "logodds", ...); Skipped lists users left out and why.
	Aggregate string `json:"aggregate,omitempty"`
	Skipped   []Skip `json:"skipped,omitempty"`
}

// SweepPoint is one point of a parameter sweep (tree count or window size).
type SweepPoint struct {
	Param   string  `json:"param"` // "trees" or "window"
	Value   float64 `json:"value"`
	MeanAUC float64 `json:"mean_auc"`
	SDAUC   float64 `json:"sd_auc"`
	MeanEER float64 `json:"mean_eer"`
	Seconds float64 `json:"seconds"`
	// Trees and Window locate the point on the sweep grid: every point has
	// both, Param names the swept axis ("trees" when several tree counts were
	// run, else "window") and Value repeats that axis's value.
	Trees  int `json:"trees,omitempty"`
	Window int `json:"window,omitempty"`
	// Seeds, in a multi-seed run, gives each seed's figures.
	Seeds *SeedSpread `json:"seeds,omitempty"`
	// Stats are the point's figures with their intervals (over every seed);
	// the fields above are then the seed-averaged figures. Best marks the
	// cell with the highest mean per-user AUC, TiesBest the cells whose
	// paired interval of the difference to it includes zero.
	Stats    *WindowStats `json:"stats,omitempty"`
	Best     bool         `json:"best,omitempty"`
	TiesBest bool         `json:"ties_best,omitempty"`
}

// ThresholdPoint gives the error rates of one threshold on the window
// score: a window is accepted as genuine when its score is at or above the
// threshold, rejected (an alarm) below it. Rates pool every user's windows
// (of every seed), as one global threshold does.
type ThresholdPoint struct {
	Window int `json:"window,omitempty"`
	// Rule says how the threshold was chosen: "fmr" (the lowest threshold
	// whose FMR is at most Target), "quantile" (the Target quantile of
	// every pooled window score, genuine and impostor), "eer" (the pooled
	// EER threshold) or "value" (given). Thresholds chosen on the test
	// scores are a-posteriori operating points; the summary's HTER gives
	// one chosen on development data.
	Rule      string  `json:"rule"`
	Target    float64 `json:"target"`
	Threshold float64 `json:"threshold"`
	FMR       float64 `json:"fmr"`  // impostor windows accepted
	FNMR      float64 `json:"fnmr"` // genuine windows rejected
	// ImpostorActionsToRejection is the mean number of impostor actions up
	// to the first rejected window (detection delay);
	// GenuineActionsToRejection the mean number of genuine actions up to
	// the first false rejection.
	ImpostorActionsToRejection float64 `json:"impostor_actions_to_rejection"`
	GenuineActionsToRejection  float64 `json:"genuine_actions_to_rejection"`
	// ImpostorsRejected is the share of impostor streams with a rejected
	// window, GenuineRejected the share of genuine streams with one;
	// streams without a rejection count their full length in the means
	// above.
	ImpostorsRejected float64 `json:"impostors_rejected"`
	GenuineRejected   float64 `json:"genuine_rejected"`
}

// Input is a data file a run read, with its SHA-256, so the run can be repeated.
type Input struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// Manifest records how a run was made: every report carries one.
type Manifest struct {
	Command   []string  `json:"command"`
	Version   string    `json:"version"`
	Seed      int64     `json:"seed"`
	Inputs    []Input   `json:"inputs"`
	Started   time.Time `json:"started"`
	GoVersion string    `json:"go_version"`
}

// RunSettings are a run's full settings: everything needed to repeat it
// beside the manifest's command line and inputs.
type RunSettings struct {
	Mode        Mode               `json:"mode"`
	Preset      string             `json:"preset,omitempty"`
	Presets     []string           `json:"presets,omitempty"`
	Classifier  string             `json:"classifier,omitempty"`
	Classifiers []string           `json:"classifiers,omitempty"`
	Params      map[string]any     `json:"params,omitempty"` // the --param settings
	Protocol    string             `json:"protocol,omitempty"`
	Windows     []int              `json:"windows,omitempty"`
	Seeds       []int64            `json:"seeds"`
	Statistics  StatisticsSettings `json:"statistics"`
	// Other are the remaining settings given (train fraction, negative
	// ratio, aggregate, trees, tree counts, threshold rules).
	Other map[string]any `json:"other,omitempty"`
}

// StatisticsSettings say how a run's intervals were made.
type StatisticsSettings struct {
	Unit       string  `json:"unit"`
	Resamples  int     `json:"resamples"`
	Confidence float64 `json:"confidence"`
	Seed       int64   `json:"seed"`
}

// Incomplete marks a run cut short (Ctrl-C): what it holds finished, the
// rest did not run.
type Incomplete struct {
	Reason string `json:"reason"`
	// SeedsDone are the seeds whose every configuration finished.
	SeedsDone []int64 `json:"seeds_done,omitempty"`
}

// Run is what `mouseauth evaluate ... --out DIR` writes to DIR/run.json and
// what `mouseauth report` reads. Any part may be empty.
//
// Every summary carries its statistics over every seed (WindowSummary.Stats).
// A multi-seed run (Seeds has two or more seeds, see [MergeSeeds]) keeps the
// first seed's per-user results and curves in Results, Sweeps and
// Holdouts, and each seed's figures without curves in PerSeed.
// Differences holds the paired comparisons, Rankings the best
// configuration per window and those indistinguishable from it.
type Run struct {
	Manifest Manifest `json:"manifest"`
	// Settings are the run's full settings (nil in runs written before they
	// were recorded).
	Settings   *RunSettings     `json:"settings,omitempty"`
	Incomplete *Incomplete      `json:"incomplete,omitempty"`
	Results    []Result         `json:"results,omitempty"`
	Sweeps     []SweepPoint     `json:"sweeps,omitempty"`
	Thresholds []ThresholdPoint `json:"thresholds,omitempty"`
	// Holdouts are train-on-one-set, test-on-another results (`evaluate
	// holdout`).
	Holdouts    []HoldoutResult `json:"holdouts,omitempty"`
	Seeds       []int64         `json:"seeds,omitempty"`
	PerSeed     []SeedRun       `json:"per_seed,omitempty"`
	Differences []Difference    `json:"differences,omitempty"`
	// Continuous are sequences judged by deployments' decision rules
	// (ANIA, ANGA; `evaluate continuous`), Attacks the attack
	// evaluations (`evaluate attack`); each holds its seeds.
	Continuous []ContinuousResult `json:"continuous,omitempty"`
	Attacks    []AttackResult     `json:"attacks,omitempty"`
	Rankings   []Ranking          `json:"rankings,omitempty"`
	// ScoreSets are every test score of the run, kept out of run.json
	// (reports writes them beside it, scores.csv.gz and curves.csv.gz).
	ScoreSets []ScoreSet `json:"-"`
}
