// Package reportstest holds made-up evaluation results for the tests of
// package reports and of `mouseauth report`, so they need no evaluation
// engine, no data and no time.
//
//   - [Run]: one [evaluate.Run] of three users ([Users]) at two windows
//     ([Windows]), two classifiers (rf stronger than logreg), a sweep over
//     a grid of tree counts and windows, alarm thresholds for both windows
//     and a manifest whose command line holds characters HTML must escape.
//   - [SeedsRun]: the same results jittered per seed and merged over
//     [Seeds] by evaluate.MergeSeeds, as a multi-seed run is.
//   - [Holdout]: an [evaluate.HoldoutResult] with session and action ROCs
//     and one user whose AUC is undefined (no impostor session).
//
// The ROC curves are TPR = FPR^k, whose AUC is 1/(k+1), so a test can
// derive what a figure or table must show. Each call returns a fresh value
// that a test may change. The figures are made up: nothing here says how
// well any classifier works.
package reportstest
