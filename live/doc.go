// Package live is the scoring service of the deployed pipeline. It
// consumes logins and feature vectors from Kafka (package wire, vectors of
// format version 2, logins, decisions and alerts version 3: docs/wire.md),
// applies the first factor (argon2id password hashes within login budgets
// and with a backoff per user and client, from a store.Credentials) and
// the second (each vector scored by the user's model from a
// store.Profiles and checked by the model's guard, then judged by package
// decide under the policy the model records: decision.go), and produces
// decisions, alerts and dead letters on Kafka, with vectors, decisions and
// sessions kept in the profile store.
//
// What it refuses (the attack suites in attack_test.go and
// identity_test.go play each case):
//
//   - Every login is signed by a client identity (identity.go): a login of
//     version 2, or whose certificate is no client identity of the CA
//     (Config.ClientCAs), or whose signature does not verify, is
//     dead-lettered; a login for a user the identity is not bound to is
//     refused before its password is checked. A session's decisions go to
//     its identity's own decision topic, sealed with the session key.
//   - A login is sealed to the scorer's key ([Keys]): a version 1 login or
//     one that does not open is dead-lettered, keeping none of its bytes.
//     The password is checked on every login, a redelivery included, unless
//     the login is refused first, without a check: its client backs off
//     after repeated failures, or a login budget (per client, per user,
//     overall; [LoginBudget]) is spent. Failures are counted per (user,
//     client) and per user atomically in the store (RecordFailure), and
//     reset only by a login that opens a new session ([Lockout]): one
//     client's failures never lock the user out on another. Logins take a
//     slot of a bounded pool to open and to check (one on 2 cores), so a
//     flood of logins never takes every core from the vectors. A refused
//     login creates no session. A login for a session that exists is a
//     redelivery only with the same session key and no alert. Every
//     refusal answers the client [RefusedReason]; the cause goes to the log
//     (once per burst for refusals without a check) and to logins{result}.
//   - The session key sealed in the login MACs the session's vectors and
//     decisions; the store keeps it sealed under Keys.State. A vector with
//     a bad MAC (forged, moved from another session, tampered with) or a
//     seq not above the session's last decided one (unless it is a
//     redelivery of exactly that decided seq) is dead-lettered.
//   - The second factor judges from the first action (the sequential
//     rule; a model may record the published window rule instead, whose
//     actions before the window is full are refused, never accepted
//     unjudged). A vector outside the physical bounds alerts at once; one
//     outside the user's range (novel) or repeating one of the session's
//     recent vectors counts as the strongest evidence against the user.
//   - Decisions tell the client accept or refuse and, from the alert on,
//     that the session is closed: never a score or the rule's statistic,
//     which go to the store, the metrics and the alert topic (operators).
//   - Retraining trains only on judged, accepted, unflagged and
//     confidently scored vectors of sessions that are over and unalerted,
//     and keeps the policy of the model in use (retrain.go).
//   - A user's state (decision state, last seq, alert) lives with the
//     one partition worker that sees the user's messages in order: a login
//     or vector on a partition other than its user's key's is
//     dead-lettered as misrouted.
//   - An alert is sticky: every later vector of the session is refused
//     until a new login.
//   - A stored model is validated on load (account.CheckModel): one that
//     fails dead-letters its user's vectors ("model invalid") and never
//     reaches the scorer, which therefore cannot panic on it.
//
// Delivery is at least once and processing effectively once: each
// partition is processed in order by one goroutine; a message's offset is
// handed to the committer only after its vector and decision are stored;
// the store's writes are idempotent on (user, session, seq), so a message
// redelivered after a crash is recognised, its stored decision republished
// (marked redelivered) and nothing counted twice. A message that cannot be
// processed (garbage, a wrong version, a wrong length, an unknown user, no
// login, a bad MAC, a replay, a misrouted message, an invalid model) goes
// to the dead-letter topic with its reason and class; the service goes on.
// A store that fails (a database restart) stalls its partition with retries
// rather than losing the message.
//
// A message whose own processing keeps failing while the store answers (a
// panic, a row the store refuses) is dead-lettered after
// [Config.MaxAttempts]; an outage (store or broker down, disk full) is
// waited for and never dead-letters anything. Dead letters are bounded
// (wire.MarshalDeadLetter), so one always fits.
//
// Lifecycle: [Service.Run] (or [Service.Serve], which also serves /metrics
// and /healthz on a listener, or [Service.Start] in the background) joins
// the consumer group and runs its generations one after another: per
// assigned partition a reader from the committed offset, a queue and a
// worker, so a stalled partition stalls only itself; a committer commits
// what the workers finished. The retrainings and the health probes (store,
// broker, disk) run beside them. [Service.Ready] is closed once the first
// generation runs, and [Service.HealthReport] says what is wrong: a
// partition stalled since when, the store, the broker, a full disk. When
// ctx ends the readers stop, the workers finish what was fetched (bounded
// by a drain timeout), offsets are committed, the group left and the HTTP
// server shut down gracefully; when a generation ends (a rebalance) they
// get half the session timeout. Every retry (store calls, publishing,
// looking again for a decision a replica may not show yet) goes through
// internal/retry: exponential backoff with full jitter that watches ctx.
//
// Models are loaded on a user's login or first vector and kept in a cache
// bounded in bytes ([Config.ModelCacheBytes], the decoded size estimated
// per model), the least recently used evicted; concurrent loads of one
// model are one store read. After RetrainPolicy.Every new vectors (or
// MaxAge) a user's model is retrained in the background (retrain.go): a
// coalescing queue served by RetrainPolicy.Workers goroutines that yield
// while the partitions fall behind; genuine rows are the user's vectors of
// ended sessions that were judged, accepted with a confident score and
// raised no alert, no session more than MaxShare of them; negatives come
// from a seeded pool of other users' vectors sampled from the store
// (Profiles.SampleVectors), so a retraining reads the same whatever the
// number of users. The new version is stored and swapped in atomically
// only if it accepts no larger a share of impostor data held back from it
// (the user's alerted sessions, other users' held-back vectors) than the
// model in use; a refusal is logged with the figures and counted
// (retrains{result="refused"}). In the one-topic-per-user design the
// service follows the per-user topics as users are enrolled
// (subscribe.go).
package live
