// Package replay is the client side of the live pipeline, for testing it:
// it consumes recorded or synthetic sessions (dataset events), extracts
// feature vectors on the client as the deployed design does, logs each
// session in, produces its vectors to Kafka with their recorded timing (or
// faster, or at a fixed rate), many sessions at once, and collects the
// service's decisions and alerts. It produces a [Result]: counts, alerts
// per session and the latency from send to decision.
package replay
