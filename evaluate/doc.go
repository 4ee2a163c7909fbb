// Package evaluate consumes feature vectors and classifiers and produces
// evaluation results: chronological and leave-impostors-out splits, scores
// averaged over sliding windows of consecutive actions, ROC, AUC, EER,
// accuracy, parameter sweeps and alarm-threshold figures. It imports
// upstream packages only (preprocess, classify).
package evaluate
