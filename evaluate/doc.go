// Package evaluate consumes feature tables ([preprocess.Table]) and
// classifiers and produces evaluation results: chronological and
// leave-impostors-out splits, scores averaged over sliding windows of
// consecutive actions, ROC, AUC, EER, accuracy, parameter sweeps and
// alarm-threshold figures. It imports upstream packages only (preprocess,
// classify).
//
// The flow is [ScoreUsers] (train one model per user under a [Protocol] and
// score the test actions; parallel over users, each user's random stream
// derived from the seed beforehand, so results do not depend on GOMAXPROCS;
// a classifier that is a classify.RowFitter, as gbdt, prepares the table
// once and fits each user on row indices, to the same models) then
// [Summarize] (window the scores at each size, ROC and AUC with gonum's
// stat.ROC and integrate.Trapezoidal, EER, mean and sd over users, mean ROC).
// [Evaluate] does both ([EvaluateScores] also returns the scores);
// [Thresholds] and [Sweep] build on them. [Preset] and [PresetOptions] hold
// the published ("reference") and "improved" settings, [ClassifierParams]
// the classifiers' parameters, [DefectNotes] what the published files get
// wrong; [Experiment] runs what each `mouseauth evaluate` command runs.
// [ScoreSessions] scores sessions with saved models (`classify score`).
//
// Held-out evaluation ([PrepareHoldout], [EvaluateHoldout],
// [Experiment.RunHoldout]; `evaluate holdout`) trains one model per user on
// one set and scores the sessions of another, labelled by a Balabit-style
// labels file ([ReadLabels]): global session AUC and EER, action-level AUC,
// per-user session AUC (undefined, with the reason, for a user whose test
// sessions are of one class).
//
// Multi-seed runs ([Experiment].Seeds, [MergeSeeds]) repeat an evaluation per
// seed and report each figure's mean and sample sd over seeds ([SeedStat])
// beside the per-user spread; [Paired] judges a difference between two
// configurations against the seed noise: beyond noise when |mean
// difference| > [NoiseFactor] standard errors over the same seeds.
//
// Every window score, threshold and alarm is the decision engine's
// (package decide): [Windows] and [Aggregate] are decide's, and
// [Thresholds] walks each stream through decide's window rule.
//
// Continuous evaluation ([EvaluateContinuous]; `evaluate continuous`)
// judges sequences action by action as the live scorer judges a session:
// a [Deployment] is a preset's model and a [decide.Policy] (the named
// ones: the old live scorer, the window rule, the recommended sequential
// rule, [RecommendedPolicy]); each user's genuine test sequence or
// sessions and the impostor sequences against its model are walked
// ([Deployment.Walk]) with a new login after every lockout, and
// summarised as Mondal and Bours do: ANGA (genuine actions per false
// lockout), ANIA (impostor actions per lockout), with the impostor
// actions accepted before a lockout, the sequences never locked out, the
// false lockouts per 1,000 actions or per hour, as [Figure]s: the mean
// over users, its mean ± sd over seeds and a 95% interval over users and
// seeds ([UserSeedInterval]). [EvaluateAttacks] (`evaluate attack`) sends
// what an impostor with the password and a client of their own would
// (other users' actions, random, constant and mean vectors, replays,
// hill-climbing with and without the score) through the same deployments
// and checks issue 18's targets ([CheckTargets]). The model's gates come
// in through a [GateFactory]: without one, vectors reach the model
// unchecked and the results say so.
//
// With the [Reference] protocol and a 100-tree random forest the published
// mean AUCs are reproduced within 0.01 (see reproduce_test.go, seed 0):
// DFL-500 0.850 / 0.909 at windows 1 / 10 (published 0.850 / 0.916),
// Balabit-1000 0.824 / 0.988 (0.832 / 0.986). The improved preset (gbdt,
// 8 negatives per positive, mean log-odds windows) beats them beyond the
// seed noise; over seeds 0-9: DFL-500 0.874 ± 0.002 / 0.934 ± 0.005,
// Balabit-1000 0.853 ± 0.004 / 0.994 ± 0.001 (TestImprovedPresetBeatsPublished).
package evaluate
