// Package classify consumes feature vectors and produces per-user binary
// models and their scores, the probability that an action is the genuine
// user's.
//
// Today it holds the random forest ("rf", [Forest]): CART trees grown with
// Gini impurity on bootstrap samples, reproducible from the caller's seed
// whatever GOMAXPROCS is. Logistic regression, a neural network, a k-means
// scorer and the versioned model file format are the next steps (issue 3).
// It imports only upstream packages.
package classify
