// Package preprocess consumes [dataset.Event] streams and produces
// [Action] segments (mouse move, point-click, drag-and-drop) and their 39
// features as [FeatureVector] values, and reads and writes feature CSVs. It
// imports only dataset.
//
// The stages:
//   - [Segmenter] (streaming) and [Segment] (pure) cut events into actions;
//   - [Extractor] and [Extract] compute the 39 features, in [Clean] mode
//     (documented definitions, the default) or [Reference] mode (the
//     published extractor's conventions, which reproduce the published
//     Balabit feature files: see reference.go and [CompareToPublished]);
//   - [FeatureWriter] writes mouseauth's feature CSV ([FeatureCSVHeader]);
//     [ReadTable] reads it, and the published feature files, into a
//     [Table], the user-labelled feature table that classify and evaluate
//     consume;
//   - [Run] processes many sessions on a worker pool and hands the results
//     back in session order; [ExtractAll] drives it over a data folder
//     (`mouseauth preprocess features`, `classify score --data`).
//
// Features never come out NaN or Inf, whatever the input.
package preprocess
