// Package reports consumes an [evaluate.Run] and produces a report of it:
// plots (gonum/plot, PNG and SVG: mean ROC with a ±1 sd band, DET with the
// EER, per-user ROC naming the worst users, sweep heat maps, alarm
// thresholds), tables (Markdown, CSV, JSON) and one self-contained
// report.html, summary first, that carries the run's manifest (command
// line, seed, version, input files and their SHA-256) so the run can be
// repeated.
//
// [Write] does it all; [WriteRun] writes a run.json and [ReadRun] reads one
// with errors that name the file, line, column and JSON field. [Figures],
// [Tables] and [WriteHTML] are the parts, for callers that want only some of
// it. Its tables are internal/table's, the type of every table a command
// prints too: each writes itself as CSV, JSON, Markdown or aligned text,
// and internal/cli renders it for --output. The evaluate commands print
// sections ([CommandOutput]): summaries apart from per-user rows, one JSON
// object of arrays. Multi-seed runs get the seed columns (mean ± sd over
// seeds, sd over users) and a section of paired differences judged against
// the seed noise ([AllDifferences], with the published figures where the
// input is a published file); held-out runs a section of their own, with
// pooled session and action ROC and DET curves. reports imports evaluate, never the reverse, and no command
// package; I/O (files) happens only in [Write], [WriteFiles], [WriteRun] and
// [ReadRun].
package reports
