package evaluate

import "time"

// ROCCurve is a receiver operating characteristic: FPR[i], TPR[i] at
// Thresholds[i], FPR ascending from 0 to 1.
type ROCCurve struct {
	FPR        []float64 `json:"fpr"`
	TPR        []float64 `json:"tpr"`
	Thresholds []float64 `json:"thresholds,omitempty"`
}

// UserResult is one user's figures at one window size.
type UserResult struct {
	User      string   `json:"user"`
	Window    int      `json:"window"`
	AUC       float64  `json:"auc"`
	EER       float64  `json:"eer"`
	Accuracy  float64  `json:"accuracy"`
	Genuine   int      `json:"genuine"`      // genuine test windows
	Impostor  int      `json:"impostor"`     // impostor test windows
	ROC       ROCCurve `json:"roc,omitzero"` // empty in [SeedRun]s
	TrainSecs float64  `json:"train_seconds"`
}

// WindowSummary is the mean and standard deviation over users at one window
// size, and the mean ROC curve (TPR averaged over users on a common FPR grid).
type WindowSummary struct {
	Window       int      `json:"window"`
	MeanAUC      float64  `json:"mean_auc"`
	SDAUC        float64  `json:"sd_auc"`
	MeanEER      float64  `json:"mean_eer"`
	SDEER        float64  `json:"sd_eer"`
	MeanAccuracy float64  `json:"mean_accuracy"`
	MeanROC      ROCCurve `json:"mean_roc,omitzero"`
	Users        int      `json:"users"` // users averaged (skipped ones excluded)
	SDAccuracy   float64  `json:"sd_accuracy"`
	// Seeds, in a multi-seed run, gives these figures over every seed (the
	// rest of the summary is the first seed's).
	Seeds *SeedSpread `json:"seeds,omitempty"`
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
	// Seeds, in a multi-seed run, gives the figures over every seed (the
	// fields above are the first seed's).
	Seeds *SeedSpread `json:"seeds,omitempty"`
}

// ThresholdPoint gives the alarm figures for one threshold p on the windowed
// mean score: an alarm is raised when the mean falls below p.
type ThresholdPoint struct {
	Threshold      float64 `json:"threshold"`
	FalseAlarmRate float64 `json:"false_alarm_rate"` // genuine windows that alarm
	MissRate       float64 `json:"miss_rate"`        // impostor windows that do not
	// ImpostorActionsToAlarm is the mean number of impostor actions before the
	// first alarm (detection delay); GenuineActionsToFalseAlarm the mean number
	// of genuine actions before the first false alarm.
	ImpostorActionsToAlarm     float64 `json:"impostor_actions_to_alarm"`
	GenuineActionsToFalseAlarm float64 `json:"genuine_actions_to_false_alarm"`
	// ImpostorDetected is the share of impostor streams that raised an alarm,
	// GenuineAlarmed the share of genuine streams with a false alarm; streams
	// without an alarm count their full length in the means above.
	ImpostorDetected float64 `json:"impostor_detected"`
	GenuineAlarmed   float64 `json:"genuine_alarmed"`
	Window           int     `json:"window,omitempty"`
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

// Run is what `mouseauth evaluate ... --out DIR` writes to DIR/run.json and
// what `mouseauth report` reads. Any part may be empty.
//
// A multi-seed run (Seeds has two or more seeds, see [MergeSeeds]) keeps the
// first seed's Results, Sweeps and Holdouts in full (per-user figures and
// curves), adds to every summary its figures over all seeds (the Seeds
// fields), keeps each seed's figures without curves in PerSeed, and the
// paired comparisons in Differences.
type Run struct {
	Manifest   Manifest         `json:"manifest"`
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
}
