// Package file is a model store in a directory, for models kept apart from
// the database (--models-dir of the live commands, through
// store.WithModels). Its [Store] implements store.Models only: vectors,
// decisions, sessions and credentials need a database.
//
// Layout, one folder per user:
//
//	DIR/<folder>/v<version>.model   the classify model file, as saved
//	DIR/<folder>/v<version>.meta    JSON {"created": ..., "vectors": N}
//
// The folder is the user name encoded injectively: ASCII letters, digits,
// '_', '-' and '.' stand for themselves (User1, x_y), every other byte is
// %XX ("x/y" is x%2Fy, '%' is %25, a leading '.' is %2E). No two users
// share a folder and no name leads out of DIR. A folder an older version
// named by the user name itself (before names were encoded) is still read
// and added to; one whose name has a '%' that is not an encoding is
// refused at Open with the name to rename it to.
//
// PutModel writes the model to a temporary file, syncs it, writes the
// .meta, then hard-links the model into place: a reader never sees half a
// model, a visible model has its metadata, and the model file of an
// existing version is never replaced (store.ErrVersionExists).
// LatestModel reads the highest version; ModelUsers lists the users whose
// folder holds at least one model. A name no user can have (empty,
// invalid UTF-8, a control character) is refused.
//
// It keeps no index and no lock: the directory is the truth, read on every
// call. Close does nothing.
package file
