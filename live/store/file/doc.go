// Package file is a model store in a directory, for models kept apart from
// the database (--models-dir of the live commands, through
// store.WithModels). Its [Store] implements store.Models only: vectors,
// decisions, sessions and credentials need a database.
//
// Layout, one folder per user:
//
//	DIR/<user>/v<version>.model   the classify model file, as saved
//	DIR/<user>/v<version>.meta    JSON {"created": ..., "vectors": N}
//
// PutModel writes the model to a temporary file, syncs it, writes the
// .meta, then hard-links the model into place: a reader never sees half a
// model, a visible model has its metadata, and the model file of an
// existing version is never replaced (store.ErrVersionExists).
// LatestModel reads the highest version; ModelUsers lists the folders
// holding at least one model. A user name that is not a plain folder name
// ("", ".", "..", a slash or NUL) is refused, so no name escapes DIR.
//
// It keeps no index and no lock: the directory is the truth, read on every
// call. Close does nothing.
package file
