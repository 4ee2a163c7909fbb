// Package tail reads the live pipeline's topics for people and for jq:
// every record becomes one JSON object on one line, whatever its format
// version. It is what `mouseauth live tail` runs.
//
// [Decode] turns one record into a line: decisions, alerts and dead
// letters keep the member names of the wire format (docs/wire.md), so a jq
// filter written for the topics works on the tail; binary vectors are
// decoded into their values; logins are shown without their secrets. Each
// line ends with a "kafka" member naming the record's topic, partition,
// offset and time. A record that does not decode becomes a line of kind
// "error" with the decoder's class and reason, and the tail goes on.
//
// It reads version 2 (package live/wire) and version 1, which the service
// and replay wrote before version 2 and which stays in the topics for their
// retention. The version 1 reader here is its own, so it outlives wire's
// deprecated version 1 code.
//
// Secrets: a version 1 login carries its password in clear; the tail never
// decodes that member, and never prints the bytes of a record of the login
// topic, of a dead letter of the login topic, or of a dead letter whose
// bytes look like a login. A version 2 login is shown without its sealed
// part.
//
// [Run] reads topics partition by partition without a consumer group
// (operators must not join the scorer's group), from the end or the
// beginning, following new records or stopping at the end. It consumes
// broker addresses and a *tls.Config and produces lines on an io.Writer.
package tail
