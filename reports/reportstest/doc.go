// Package reportstest holds evaluation results for the tests of package
// reports and of `mouseauth report`: real evaluations of a small synthetic
// table by two toy classifiers, quick and deterministic.
//
//   - [Run]: an [evaluate.Run] with every part a report draws: the compare
//     of two classifiers ([Classifiers]) over six users ([Users]) at two
//     windows ([Windows]), with its statistics, differences, rankings and
//     scores; a sweep over a grid of tree counts and windows; thresholds;
//     and a manifest whose command line holds characters HTML must escape.
//   - [SeedsRun]: the compare over [Seeds].
//   - [Holdout]: a made-up [evaluate.HoldoutResult] with session and action
//     ROCs and one user whose AUC is undefined (no impostor session).
//
// Each call returns a fresh value that a test may change. The classifiers
// are toys: nothing here says how well any real classifier works.
package reportstest
