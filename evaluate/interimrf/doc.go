// Package interimrf is a stopgap random forest that lets evaluate's tests
// and commands run until the classify package provides its own "rf"; delete
// it then. It consumes feature rows with genuine/impostor labels and produces
// a classify.Model: scikit-learn RandomForestClassifier defaults (bootstrap,
// floor(sqrt(d)) features per split, Gini, fully grown trees, probability =
// mean of the leaves' genuine shares), all randomness from the caller's rng.
package interimrf
