// Package reports consumes an [evaluate.Run] and produces a report of it:
// plots (gonum/plot, PNG and SVG: mean ROC with a ±1 sd band, DET with the
// EER, per-user ROC naming the worst users, sweep heat maps, alarm
// thresholds), tables (Markdown, CSV, JSON) and one self-contained
// report.html, summary first, that carries the run's manifest (command
// line, seed, version, input files and their SHA-256) so the run can be
// repeated.
//
// [Write] does it all; [ReadRun] reads a run.json with errors that name the
// file, line, column and JSON field. [Figures], [Tables] and [WriteHTML] are
// the parts, for callers that want only some of it. reports imports evaluate,
// never the reverse; I/O (files) happens only in [Write] and [ReadRun].
package reports
