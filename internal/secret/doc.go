// Package secret creates and reads mouseauth's small secret files: the
// SASL/SCRAM passwords of the embedded broker's users (internal/cluster)
// and the password files an operator hands to a command
// (--sasl-password-file).
//
// [Ensure] creates a secret unless the file exists: [Generate]'s [Size]
// bytes from crypto/rand, base64url, one line, written with O_EXCL and mode
// 0600 (its folder created 0700 when missing), so an existing or
// concurrently created secret is never overwritten. [Read] returns a secret
// without its newline and refuses a file that is not regular, that group or
// others may access ([ErrLoosePermissions]), that is empty (a creator that
// died mid-write) or that holds more than one line. Errors name the file,
// never the content.
//
// It neither rotates nor encrypts secrets and reads only files: a command
// takes a secret from a file named by a flag or from the environment
// ($MOUSEAUTH_SASL_PASSWORD), never from a flag's value, which would show
// in the process list and the shell history.
package secret
