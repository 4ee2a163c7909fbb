// Package cluster runs the embedded default of the live pipeline's broker
// in one process, so that `mouseauth demo`, `live serve` and replay need no
// servers. [Start] turns a state folder into a running broker and returns a
// [Cluster]: broker addresses, the *tls.Config of the broker and of each
// role's client certificate, and each role's SASL mechanism
// ([Cluster.Credentials]). [Cluster.Restart] restarts it from its data
// directory as an operator would; [Cluster.Close] stops it and keeps the
// data.
//
// What Start sets up, creating only what is missing:
//
//	STATE/pki/      a private CA and the broker, scorer, replay (bound to
//	                every user), admin and operator certificates
//	                ([EnsurePKI]); the client identities' certificates
//	                ([RegisterClient], without their keys)
//	STATE/sasl/     one SASL/SCRAM-SHA-512 password per user, from
//	                internal/secret ([EnsurePasswords], [PasswordPath])
//	STATE/kafka/    the kfake broker's data directory (mutual TLS)
//	STATE/kafka.port  the port, reused by the next start when free
//
// Every connection authenticates with SASL over mutual TLS, because kfake
// maps no client certificate to a principal; the broker enforces the ACL
// specification of live/topics per SASL user ([Users], [KfakeACLs]) and per
// client identity, as the broker's own principal (a super user whose
// password exists only in this process, [Cluster.Superuser]) sets them at
// each start and whenever a client identity is registered or removed
// (clients.go). The topics of [Options.Topics] are created by the admin
// with the configs of their kind ([Cluster.RetentionOf]; the inputs' files
// are sized so that retention removes them from disk, retention.go);
// [Cluster.EnsureTopics] adds per-user ones.
// The broker's ApiVersions answer is patched so that librdkafka clients
// (kcat) connect.
//
// The state folder is private while it runs: [SecureState] refuses a
// folder holding a symbolic link (internal/safefs) and strips group and
// other permissions, [LockState] keeps a second process out (naming the
// holder's pid), [HoldPrivateUmask] keeps the umask at 077 until Close.
// The lock file, the SASL passwords, kafka.port, pki/ and kafka/ are
// opened without following a link.
//
// It does not open the stores (the caller opens [Cluster.StorePath], see
// live/deploy) and does not speak to external brokers: a real cluster is
// configured by its operator with `mouseauth pki config`.
package cluster
