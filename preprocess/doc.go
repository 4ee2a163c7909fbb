// Package preprocess consumes [dataset.Event] streams and produces
// [Action] segments (mouse move, point-click, drag-and-drop) and their 39
// features as [FeatureVector] values, and reads and writes feature CSVs. It
// imports only dataset.
package preprocess
