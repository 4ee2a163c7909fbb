// Package retry is the one retry loop of mouseauth: it consumes an
// operation (a func() error), a backoff [Policy] and a context, and produces
// the operation's first success or the error that ended the retries (a
// permanent error, the policy's limit, or the context's end).
//
// Delays grow exponentially with full jitter (each wait is uniform in
// [0, cap), cap = Initial × Multiplier^n up to Max), so many clients that
// failed together do not come back together. Every wait watches the
// context. The random source, the clock and the sleep come in as options,
// so the tests run without waiting.
//
// Written here rather than taken from a library: the policies we need are a
// dozen lines over the standard library, and the project's callers need the
// context, a permanent-error predicate and a hook for metrics in one call.
package retry
