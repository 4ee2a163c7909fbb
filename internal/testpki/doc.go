// Package testpki gives tests a throwaway PKI and a MariaDB that trusts
// it, so the TLS paths of the stores, the broker clients and the CQL test
// server are tested with real certificates.
//
// [New] makes a CA in t.TempDir() with a "server" certificate (localhost,
// 127.0.0.1) and "scorer" and "replay" client certificates, issued and
// saved by package pki as `mouseauth pki` does. [PKI.Server] and
// [PKI.Client] return the *tls.Config values pki builds from that folder
// (servers require client certificates); [PKI.Cert] returns an issued
// certificate. [PKI.MariaDB] starts a private mariadbd through
// internal/testutil with TLS required and an account "scorer" bound to the
// scorer certificate's subject and the CA as issuer.
//
// The helpers fail the test on error rather than return one; MariaDB
// skips it where mariadbd is missing (fails under MOUSEAUTH_REQUIRE_ALL=1).
// It is for tests only: nothing outlives the test, and it holds none of the
// TLS policy, which stays in pki.
package testpki
