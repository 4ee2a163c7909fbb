// Package faultpoint lets the shared store suite (storetest) make a backend
// fail at a named point inside one write, to check what the write leaves
// behind: nothing in a transactional store, a remainder that a retry
// completes in the others (Cassandra).
//
// A backend calls [Check] at its points and returns the error it gets; the
// suite arms one point for one call with [With], which puts the point and
// its error in the call's context. The one point so far is
// [BatchVectorsWritten], inside PutBatch after the vectors are written and
// before the decisions (in the transaction, for the SQL stores).
//
// Check stays in production code: without an armed point it costs one
// context lookup and returns nil. Nothing outside the store packages can
// arm a point (the package is internal to live/store), and it never
// injects delays, panics or random faults.
package faultpoint
