// Package topics is the Kafka contract of the live pipeline, in one place
// for everyone who touches the broker: the scoring service, replay and any
// other client, the embedded cluster and the operator of a real one.
//
// It holds the topic names ([Logins] ... [DeadLetter], [Names], the per-user
// feature topics [Names.FeaturesFor], each client identity's decision topic
// [Names.DecisionsFor]), the scorer's consumer group
// ([DefaultGroup]), the partitioner ([Balancer]) and producer ([NewWriter]),
// topic creation ([Ensure]), the kafka-go connection builders every client
// uses ([Transport], [Dialer]) with the SASL/SCRAM identity of SASL_SSL
// listeners ([SASL]), the probe behind `mouseauth pki check --kafka`
// ([Probe]), and the ACL specification ([Names.ACLs]): which role may make
// which request on which resource. A role's principal is its certificate's
// subject on an SSL listener and its SASL user on a SASL_SSL one (the
// embedded broker's); [ParseRolePrincipal] reads the latter for rendering.
// `mouseauth pki config acl` renders kafka-acls.sh commands from that
// specification ([WriteACLCommands]); internal/cluster converts it for the
// embedded broker.
//
// It consumes broker addresses, a *tls.Config (built by package pki) and a
// SASL mechanism (nil on SSL listeners) and produces topics, writers,
// readers' dialers and ACL grants. Of mouseauth's packages it imports only
// internal/retry.
package topics
