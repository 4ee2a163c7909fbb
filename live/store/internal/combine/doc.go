// Package combine merges concurrent store.Profiles.PutBatch calls into one
// write of the backend (group commit across callers): a writer goroutine
// takes every call queued while its previous write ran and writes their
// rows as one PutBatch, in queue order, then answers each call with the
// backend's inserted flags for exactly its own rows. The live service's
// partition workers each call PutBatch once per fetched batch; with one
// SQLite writer those calls used to queue for the connection and commit
// one transaction each, and now the calls that wait commit together.
//
// What a caller sees is what the backend's PutBatch promises:
//
//   - A call returns only once its rows are durable (the write that held
//     them committed), so a caller that commits offsets after PutBatch
//     returns commits nothing that is not stored. A caller's next call
//     starts after its previous one returned, so each caller's batches are
//     stored in its order.
//   - A key stored by an earlier call, or twice in one merged write, is
//     reported inserted once, by the call whose values are stored (the
//     first in queue order), as the backend reports it within one call.
//   - When a merged write fails, each of its calls is written again alone:
//     a row the backend refuses fails only the calls that hold it, and the
//     others are stored and answered. This needs a backend whose failed
//     PutBatch stores nothing (one transaction, as the SQL stores); over
//     a backend that may store part of a failed call (Cassandra) the other
//     calls would see keys of theirs reported not inserted, so only the
//     embedded store uses it.
//   - A merged write runs under a context that ends when every member's
//     context has ended, and sees each member's context values (the
//     store suite's fault points). A caller whose context ends stops
//     waiting: a call still queued is dropped, one being written may be
//     stored or not, as when an answer is lost.
//
// The package knows no backend; it is internal to live/store.
package combine
