package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Explain turns a connection error into a sentence a user understands. It
// returns "" for nil. The raw error stays available to callers for logs.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var (
		unknown  x509.UnknownAuthorityError
		invalid  x509.CertificateInvalidError
		hostname x509.HostnameError
		alert    tls.AlertError
		verify   *tls.CertificateVerificationError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &hostname):
		return "the server's certificate is for " + strings.Join(certNames(hostname.Certificate), ", ") +
			", not for " + hostname.Host + ": the server name does not match (connect by a name the certificate lists, or reissue it with --dns/--ip)"
	case errors.As(err, &unknown):
		return "the peer's certificate was not issued by our CA (it is signed by " + issuerName(unknown.Cert) + ")"
	case errors.As(err, &invalid):
		switch invalid.Reason {
		case x509.Expired:
			return "the peer's certificate has expired or is not yet valid (" + invalid.Detail + "): issue a new one"
		case x509.IncompatibleUsage:
			return "the peer's certificate is not allowed for this use (wrong role: server vs client)"
		}
		return "the peer's certificate is invalid: " + invalid.Error()
	case errors.As(err, &verify) && verify.Err != nil:
		return Explain(verify.Err)
	case errors.As(err, &alert):
		return explainAlert(uint8(alert))
	}
	// Errors that reach us only as text (driver wrappers, remote alerts).
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "sasl authentication refused"):
		return "TLS succeeded, but the broker refused the SASL user or password (check --sasl-user and the password file; " +
			"the embedded broker's passwords are in STATE/sasl/USER.password)"
	case strings.Contains(low, "certificate required"):
		return "the server requires a client certificate and none was sent (run 'mouseauth pki issue NAME --role client')"
	case strings.Contains(low, "unknown certificate authority") || strings.Contains(low, "unknown ca"):
		return "the server does not trust our client certificate: it was not issued by the CA the server uses"
	case strings.Contains(low, "expired certificate") || strings.Contains(low, "certificate expired"):
		return "the server refused our client certificate because it has expired: issue a new one"
	case strings.Contains(low, "certificate has expired"):
		return "the peer's certificate has expired: issue a new one"
	case strings.Contains(low, "signed by unknown authority"):
		return "the peer's certificate was not issued by our CA"
	case strings.Contains(low, "bad certificate"):
		return "the server rejected our client certificate (bad certificate): it is not from the server's CA, expired, or not allowed as a client"
	case strings.Contains(low, "access denied"):
		return "the database accepted the TLS connection but refused the account: the certificate's subject or issuer does not match the account's REQUIRE SUBJECT/ISSUER, or the user or password is wrong"
	case strings.Contains(low, "requires secure transport") || strings.Contains(low, "insecure transport"):
		return "the server accepts only TLS connections and this one was not encrypted"
	case strings.Contains(low, "is valid for") && strings.Contains(low, "not ") ||
		strings.Contains(low, "cannot validate certificate for"):
		return "the server's certificate is for another host name: the server name does not match"
	case strings.Contains(low, "protocol version"):
		return "the server and client share no TLS version (mouseauth requires TLS 1.2 or later)"
	case strings.Contains(low, "first record does not look like a tls handshake"):
		return "the server did not answer with TLS: it is not listening for TLS on this port"
	case strings.Contains(low, "bad record mac") || strings.Contains(low, "decryption failed") || strings.Contains(low, "authentication failed"):
		return "the encrypted stream was altered in transit and the connection was closed (tampering detected)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing is listening at that address"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(low, "connection reset") ||
		strings.Contains(low, "broken pipe") || strings.HasSuffix(low, "eof"):
		return "the server closed the connection during the handshake: it most likely refused our certificate (or requires one and none was sent)"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "the connection timed out: the server did not answer"
	}
	return "connection failed: " + msg
}

func explainAlert(a uint8) string {
	switch a {
	case 116: // certificate_required (TLS 1.3)
		return "the server requires a client certificate and none was sent (run 'mouseauth pki issue NAME --role client')"
	case 48: // unknown_ca
		return "the server does not trust our client certificate: it was not issued by the CA the server uses"
	case 45: // certificate_expired
		return "the server refused our client certificate because it has expired: issue a new one"
	case 42: // bad_certificate
		return "the server rejected our client certificate (bad certificate): it is not from the server's CA, expired, or not allowed as a client"
	case 46: // certificate_unknown
		return "the server rejected our client certificate (certificate unknown)"
	case 20: // bad_record_mac
		return "the encrypted stream was altered in transit and the connection was closed (tampering detected)"
	case 70: // protocol_version
		return "the server and client share no TLS version (mouseauth requires TLS 1.2 or later)"
	case 40: // handshake_failure
		return "the TLS handshake failed: no common cipher suite or the peer refused our parameters"
	}
	return "the peer aborted the TLS handshake (" + tls.AlertError(a).Error() + ")"
}

func certNames(c *x509.Certificate) []string {
	if c == nil {
		return []string{"?"}
	}
	var n []string
	n = append(n, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		n = append(n, ip.String())
	}
	if len(n) == 0 {
		n = append(n, "CN="+c.Subject.CommonName+" (no SANs)")
	}
	return n
}

func issuerName(c *x509.Certificate) string {
	if c == nil {
		return "an unknown issuer"
	}
	return rfc2253(c.RawIssuer)
}
