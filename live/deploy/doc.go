// Package deploy opens the live pipeline as a deployment describes it. It
// consumes [Options] (the state folder of the embedded default or external
// brokers, the certificate folder and name, a MySQL DSN already read from
// its secret source, Cassandra contact points and replication, a models
// folder, this program's SASL identity with its password already read) and
// produces an [Env]: broker addresses, client certificates and SASL
// mechanisms, the topics, the credential and profile stores, and a line per
// part saying where it is, for the user. With no brokers it starts the
// embedded broker (package internal/cluster) under the state folder, whose
// SASL users give each program the identity of its role. Whatever it keeps
// in the state folder it keeps private (0700/0600, a 077 umask while open).
// The scoring service's keys (the scorer's HPKE key pair, the state key
// that seals stored session keys) live under STATE/keys and its public key
// is published at STATE/scorer-hpke.pub for clients ([LoadKeys]). A
// workstation's client bundle is written on the scorer's side
// ([WriteBundle]) and read on the client's ([LoadBundle]). The
// command parses flags and reads secrets; this package holds the rules of
// what goes where.
package deploy
