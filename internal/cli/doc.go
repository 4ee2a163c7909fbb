// Package cli holds what every mouseauth command shares, so that the
// command files (cmd/mouseauth) stay wiring: flags in, one call out.
//
//   - I/O and dependencies: [IOStreams] (data on Out, progress and status
//     on ErrOut; [System] for a process, [TestIO] with in-memory [Buffer]s
//     for tests) and the [Factory] a constructor takes them from, with the
//     clock, the command line and the build ([Build], [ReadBuild]) that
//     reports and `mouseauth version` record.
//   - Errors and exit codes: [FlagError] ([FlagErrorf]) marks a usage
//     error; [ExitCode] maps an error to 0, 1, 2 (usage) or 130 (cancelled).
//   - Output: [AddOutputFlag] binds -o/--output, [ValidateOutput] checks it,
//     [Render] and [RenderSections] print a [table.Table] or
//     [table.Sections] as aligned text, CSV or JSON, [WriteJSON] one
//     object.
//   - Progress on stderr: [Progress] (a nil one does nothing) and
//     [ProgressFunc], which adapts it to the packages' progress callbacks.
//   - Flags: deprecated names ([Alias], [WarnOn]), shell completion of
//     values and paths ([CompleteValues], [CompleteList], [CompleteFunc],
//     [MarkPath]), range and list values ([ParseIntRange],
//     [ParseFloatRange], [SplitList]).
//
// Apart from -o/--output it binds no flag (names and meanings are the
// vocabulary's: docs/cli.md) and it computes no results: its only mouseauth
// import is internal/table (not reports, so that a command's helpers do not
// link gonum/plot), and only cmd/mouseauth imports it.
package cli
