// Package classify consumes feature vectors and produces per-user binary
// models (random forest, logistic regression, a neural network, a k-means
// scorer) and their scores, the probability that an action is the genuine
// user's. Models are saved in a versioned binary format. It imports only
// upstream packages (dataset, preprocess).
package classify
