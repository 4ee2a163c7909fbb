// Package bench measures mouseauth's parts and prints nothing: it consumes
// an opened pipeline ([Pipeline]: broker addresses, client and scorer
// certificates, the stores) or a set of model stores, synthetic users from
// package replay, raw logs or a feature table, and options; it produces
// typed rows of figures ([PipelineResult], [ScaleOutResult],
// [ModelLoadRow], [FeaturesResult], [ClassifyRow], [EvaluateRow]) that the
// command renders as tables, plots and reports. Each figure comes beside a
// peer measured in the same run or a published one: a plain encoding/csv
// read of the same files ([RunFeatures]), scikit-learn's fit and scoring
// times ([RunClassify]), the published script's evaluation time
// ([RunEvaluate]), decoding the same model bytes from memory
// ([RunModelLoad]).
//
// Why a package of its own rather than part of replay: a pipeline bench
// runs the scoring service (package live) in process beside the replaying
// clients, and the model-load bench reads every kind of store and decodes
// models (package classify). replay is the client side only and must not
// import the service; bench sits downstream of both, and nothing imports it
// but the command.
//
// The pipeline bench enrols load users (models trained on synthetic base
// users, cheap password hashing since the load is on the second factor),
// runs a service, and replays vectors through Kafka: per user count at the
// enterprise design's rate ([PipelineOptions.Interval]), or per offered
// total rate for saturation, or for a soak with memory sampled over time.
// Each step reads the store's counts before and after, so a row shows
// sent = stored = decided or what was lost. Figures are what this process
// measures: the broker, the store, the service and the clients share its
// CPU.
package bench
