// Package classify consumes feature vectors and produces per-user binary
// models and their scores, the probability that an action is the genuine
// user's.
//
// Classifiers ([New], [Names]): "rf", mouseauth's random forest ([Forest]:
// CART trees grown with Gini impurity on bootstrap samples, reproducible
// from the caller's seed whatever GOMAXPROCS is); "malaschitz", the
// github.com/malaschitz/randomForest forest, kept for comparison (it cannot
// be seeded); "et", extremely randomised trees ([ExtraTrees]); "gbdt",
// gradient-boosted trees with histogram splits ([GBDT], the classifier of
// the evaluate commands' default preset); "logreg", "mlp" and "kmeans". Models are saved and loaded in a
// versioned, checksummed file format ([Save], [Load]) that the live service
// reads.
//
// [TrainUser] is the one way a user's model is trained, by every caller:
// the user's rows against negatives drawn from the other users' ([Split],
// [Negatives]) and synthetic background negatives ([BackgroundRows]), with
// a random stream from [VersionRand] (the live service) or [BatchRands]
// (`mouseauth classify train`), by the training settings of a preset
// ([Preset]: "improved", the default of every command that trains, and
// "reference"), the one definition evaluate and the live service share.
//
// A model file (format version 3) records the model's guard beside it:
// the features' physical bounds ([Bounds]), the range of the user's
// training rows ([Range], [FitRange]) and, when asked for, a k-NN novelty
// gate ([Novelty], [FitNovelty]); [SavedModel.Check] applies them to a
// vector, cheaply, and says what is implausible (no pointing movement
// makes it) or novel (unlike the user). It also records the decision
// policy the model was enrolled with ([Header.Decision], opaque here).
// docs/guard.md has the measurements behind the design. The package
// imports no other mouseauth package.
package classify
