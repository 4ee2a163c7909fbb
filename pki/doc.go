// Package pki consumes a directory of PEM files (a private CA and the
// certificates it issued) and produces certificates, PKCS#12 keystores,
// server configuration (Kafka, MariaDB, Cassandra) and the one place that
// builds *tls.Config for every mouseauth connection (Kafka, MariaDB,
// Cassandra, the embedded broker).
//
// Layout of a PKI directory:
//
//	ca.crt, ca.key          the root CA (key 0600)
//	issued/NAME.crt         certificates issued or signed by the CA, then the CA
//	issued/NAME.key         their keys when mouseauth generated them (0600)
//
// The role of a certificate is read from its ExtKeyUsage ([RoleOf]); [List]
// reads every issued certificate.
//
// Keys are refused when their file is readable by group or others.
//
// TLS policy, built by [ServerTLS] and [ClientTLS]: TLS 1.2 minimum (Go
// negotiates 1.3 when both ends offer it), the CA pool holds only our CA,
// servers require and verify client certificates, clients verify the server
// host name.
//
// pki builds TLS configurations and certificates only: it imports no Kafka
// client and no database driver. [Check] reports what a connection
// negotiated or why it was refused, running a [Probe] supplied by the code
// that speaks the protocol (live/topics.Probe, live/store/mysql.Probe,
// live/store/cassandra.Probe). [KafkaPrincipal] names a certificate as Kafka
// does; which principal may do what on the broker is the ACL specification
// of live/topics.
package pki
