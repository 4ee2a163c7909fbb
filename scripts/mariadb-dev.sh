#!/bin/bash
# Start a private MariaDB with TLS required, for trying the MySQL store by
# hand (the tests start their own). It uses the embedded default's PKI: the
# "broker" certificate (localhost, 127.0.0.1) serves, and account "scorer"
# is bound to the scorer certificate's subject and our CA as issuer.
#
#   scripts/mariadb-dev.sh [STATE_DIR] [PORT]      (defaults: mouseauth-state 3307)
#   export MOUSEAUTH_MYSQL_DSN="scorer@tcp(127.0.0.1:3307)/mouseauth"
#   mouseauth live serve --state STATE_DIR
#
# Stop it with: kill $(cat STATE_DIR/mariadb/pid)
set -euo pipefail
MA=${MOUSEAUTH:-go run ./cmd/mouseauth}   # or the path of a built binary
state=${1:-mouseauth-state}
port=${2:-3307}
dir=$state/mariadb
mkdir -p "$dir"
state=$(cd "$state" && pwd)
dir=$state/mariadb
$MA live status --state "$state" >/dev/null # creates the PKI on first use
pki=$state/pki
user=$(id -un)
if [ ! -d "$dir/data" ]; then
	mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" --auth-root-authentication-method=normal --skip-test-db >/dev/null
fi
mariadbd --no-defaults --datadir="$dir/data" --user="$user" --socket="$dir/sock" --port="$port" \
	--bind-address=127.0.0.1 --pid-file="$dir/pid" --log-error="$dir/err.log" --skip-log-bin \
	--ssl-ca="$pki/ca.crt" --ssl-cert="$pki/issued/broker.crt" --ssl-key="$pki/issued/broker.key" \
	--require-secure-transport=ON --tls-version=TLSv1.2,TLSv1.3 &
for _ in $(seq 100); do
	mariadb --no-defaults --socket="$dir/sock" -uroot -e 'SELECT 1' >/dev/null 2>&1 && break
	sleep 0.2
done
$MA pki config mariadb --pki-dir "$pki" --cert broker --client scorer --account scorer \
	--grant 'ALL PRIVILEGES ON `mouseauth%`.*' | grep -E '^(CREATE|GRANT)' |
	mariadb --no-defaults --socket="$dir/sock" -uroot
echo "MariaDB on 127.0.0.1:$port (TLS required); account scorer bound to $pki/issued/scorer.crt"
echo "export MOUSEAUTH_MYSQL_DSN='scorer@tcp(127.0.0.1:$port)/mouseauth'"
