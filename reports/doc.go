// Package reports consumes an [evaluate.Run] and produces a report of it:
// plots (gonum/plot, PNG and SVG), tables (Markdown, CSV, JSON) and one
// self-contained report.html that carries the run's manifest (command line,
// seed, version, input files and their SHA-256) so the run can be repeated.
//
// [Write] does it all; [ReadRun] reads a run.json with errors that name the
// file, line, column and JSON field. [Figures], [Tables] and [WriteHTML] are
// the parts, for callers that want only some of it. reports imports evaluate,
// never the reverse; I/O (files) happens only in [Write] and [ReadRun].
package reports
