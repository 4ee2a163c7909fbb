// Package topics is the Kafka contract of the live pipeline, in one place
// for everyone who touches the broker: the scoring service, replay and any
// other client, the embedded cluster and the operator of a real one.
//
// It holds the topic names ([Logins] ... [DeadLetter], [Names], the per-user
// feature topics [Names.FeaturesFor]), the scorer's consumer group
// ([DefaultGroup]), the partitioner ([Balancer]) and producer ([NewWriter]),
// topic creation ([Ensure]), the kafka-go connection builders every client
// uses ([Transport], [Dialer]), the probe behind
// `mouseauth pki check --kafka` ([Probe]), and the ACL specification
// ([Names.ACLs]): which role may make which request on which resource.
// `mouseauth pki config acl` renders kafka-acls.sh commands from that
// specification ([WriteACLCommands]); internal/cluster converts it for the
// embedded broker.
//
// It consumes broker addresses and a *tls.Config (built by package pki) and
// produces topics, writers, readers' dialers and ACL grants. It imports no
// other mouseauth package.
package topics
