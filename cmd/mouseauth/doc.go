// Command mouseauth is a workbench for continuous two-factor authentication
// by mouse dynamics: a password is the first factor, the way a person moves
// the mouse the second, checked again and again for the whole session.
// README.md opens with the commands that set it up; docs/cli.md is the flag
// vocabulary every command shares.
//
// The command groups, each the front of the package that does the work:
//
//	demo        every stage below on synthetic data, embedded, no servers
//	dataset     clean and synth: read, clean, synthesize logs (dataset)
//	preprocess  features, compare: actions and the 39 features (preprocess)
//	classify    train, score: per-user models (classify, evaluate)
//	evaluate    compare, holdout, sweep, threshold: AUC, EER (evaluate)
//	report      plots, tables and one report.html of a run (reports)
//	pki         init, issue, sign, show, keystore, config, check (pki)
//	live        serve, enroll, status, tail (live, live/deploy, live/account,
//	            live/tail)
//	replay      play sessions through the live pipeline (replay)
//	bench       features, classify, evaluate, model-load, pipeline, scaleout
//	            (bench and the research packages)
//	version     version, commit and Go version of the binary
//
// Command files are wiring only: a constructor binds the flags into an
// options struct (with the [cli.IOStreams] and clock of the [cli.Factory]),
// checks them (a usage error is a [cli.FlagError], exit code 2; rules cobra
// states, required flags and flag groups, are marked on the command), then
// makes one call into a package and renders what it returns with
// internal/cli (-o table, csv or json). Every constructor is
// newCmdX(f, runF): a nil runF runs the command, a test's captures the
// parsed options; tests also run the commands on [cli.TestIO] buffers.
// No figure, rule or file format is decided here: what a command computes
// belongs in its package, where other callers find it too. Results go to
// stdout, progress and status to stderr; secrets come from files or the
// environment, never from flags.
package main
