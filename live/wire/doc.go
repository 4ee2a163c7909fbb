// Package wire is the message encoding of the live pipeline's Kafka topics:
// logins, feature vectors, decisions, alerts and dead letters. It consumes
// and produces plain values and imports no other mouseauth package; the
// replaying client and the scoring service import it, and so do the tools
// around them (live/tail, live/deploy, bench). The full specification, for
// implementations in other languages, with test vectors, is docs/wire.md.
//
// # Format, version 2
//
// Logins are sealed: the client seals the password and a fresh 32-byte
// session key to the scorer's public key with HPKE (RFC 9180, base mode,
// DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM), with the clear
// routing fields (version, kind, key id, user, session, client, send time)
// as the AEAD's associated data, so broker files, dead letters and any
// reader see only ciphertext, and a sealed blob cannot be moved to another
// user or session ([SealLogin], [ParseLogin], [OpenLogin]).
//
// Logins are version 3: signed by the client identity that sends them, an
// X.509 certificate of the deployment's CA (ECDSA P-256) that the login
// carries, so the scorer knows whom the sender may act for
// ([NewClientSigner], [SealedLogin.VerifySignature]; the certificate's
// chain and binding are package pki's). A version 2 login still decodes
// ([SealLoginV2] writes one) and is refused by the scorer ([ErrUnsigned]).
//
// Decisions are version 3: accept or refuse, the alert, and whether the
// session is closed (its alert raised), and nothing about how the vector
// scored ([Decision] has no member for it): versions 1 and 2 told the
// client its score, the window's mean and the threshold, an oracle an
// impostor could climb. Alerts are version 3 too, with the decision rule's
// statistic, for operators. Version 2 decisions and alerts still decode
// ([LegacyDecision], [Alert.Version]) for the tail of old topics. Vectors
// and dead letters are version 2.
//
// Every vector carries an HMAC-SHA256 under the session key over its whole
// encoding (user, session, seq, send time, values) with a domain-separation
// label ([SignVector], [ParseVector], [SignedVector.Verify]). Every decision,
// the login's included, is MAC'd back under the same key, so a client can
// tell a forged decision and knows the scorer opened its login
// ([SignDecision], [ParseDecision], [SignedDecision.Verify]).
//
// Framing: a vector, the hot path, is binary and starts with 'M', 2, 'V'.
// Every other kind is one plain JSON object that starts with {"v":2 (or 3),
// "kind":...}, so `kcat -C -t mouseauth.decisions -e | jq` works. [KindOf]
// tells them apart. Any other version, version 1 included (it carried
// passwords in clear), is refused with [ErrVersion].
//
// Dead letters always fit: they keep at most [MaxDeadLetterValue] bytes of
// the original message with its size and SHA-256, and the encoding never
// exceeds [MaxDeadLetterSize] whatever the input ([MarshalDeadLetter]).
//
// # What the service checks, in this order
//
//  1. Decode: [ParseVector] (structure, names, seq >= 0, finite values,
//     size). Refused: dead letter with [ErrorClass].
//  2. Look up the session key of (user, session) in the session store
//     (the login that opened the session must have been accepted).
//  3. Verify the MAC: [SignedVector.Verify]. Refused: [ErrBadMAC], dead
//     letter; no session state changes.
//  4. Replay: seq must be greater than the last seq accepted for the
//     session (service state, not wire). A repeat of an already decided seq
//     with a valid MAC is a redelivery (republish the stored decision); any
//     other seq at or below the last is a replay and is dead-lettered.
//  5. Score.
//
// For a login: [ParseLogin], the client identity (package pki verifies the
// certificate, [SealedLogin.VerifySignature] the signature), then
// [OpenLogin] with the scorer's keys (it
// picks the key by id; [ErrUnknownKey] means the client sealed to a key the
// scorer no longer holds), then the password check, then a decision signed
// with the login's session key (seq [LoginSeq]). A login for a session that
// exists already is a redelivery only if it carries the same session key;
// otherwise it must be refused without touching the session.
//
// Hand-written rather than protobuf or Avro: the layouts are short, need no
// code generator or schema registry, and the vector codec allocates once
// per field. The cryptography is the standard library's (crypto/hpke,
// crypto/hmac, crypto/sha256).
package wire
