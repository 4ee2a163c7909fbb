// Package pki consumes a directory of PEM files (a private CA and the
// certificates it issued) and produces certificates, PKCS#12 keystores,
// deployment configuration and the one place that builds *tls.Config for
// every mouseauth connection (Kafka, MariaDB, Cassandra, the embedded broker).
//
// Layout of a PKI directory:
//
//	ca.crt, ca.key          the root CA (key 0600)
//	issued/NAME.crt         certificates issued or signed by the CA
//	issued/NAME.key         their keys when mouseauth generated them (0600)
//	issued/NAME.json        role and issue metadata, read by [List]
//
// Keys are refused when their file is readable by group or others.
//
// TLS policy, built by [ServerTLS] and [ClientTLS]: TLS 1.2 minimum (Go
// negotiates 1.3 when both ends offer it), the CA pool holds only our CA,
// servers require and verify client certificates, clients verify the server
// host name.
//
// The embedded broker (kfake) cannot map a certificate to a Kafka principal,
// so in embedded mode the only rule enforced is "any client certificate issued
// by our CA"; per-principal ACLs ([KafkaACLs]) apply on a real Kafka cluster.
//
// [Check] reports what a connection negotiated or why it was refused. pki
// imports no database driver: the MySQL and Cassandra probes it runs live
// with their stores (live/store/mysql.Probe, live/store/cassandra.Probe).
package pki
