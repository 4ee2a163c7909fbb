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
// [Negatives]), with a random stream from [VersionRand] (the live service)
// or [BatchRands] (`mouseauth classify train`). It imports no other
// mouseauth package.
package classify
