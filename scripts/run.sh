#!/usr/bin/env bash
# `make run`: database, migrations, demo data and a demo admin, then `oms serve`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
oms="$root/bin/oms"
admin_email=admin@example.com
admin_password=demo-admin-password

DATABASE_URL=$("$root/scripts/db.sh" url oms)
export DATABASE_URL

echo "run: oms migrate"
"$oms" migrate

# How many rows a table has, or "" when psql is not available to tell.
count() {
	command -v psql >/dev/null 2>&1 || return 0
	psql "$DATABASE_URL" -X -q -tAc "select count(*) from $1" 2>/dev/null || true
}

# `oms demo` is idempotent, but it loads a few hundred orders: only into an empty catalog.
products=$(count products)
if [[ "$products" == 0 || -z "$products" ]]; then
	echo "run: oms demo (loading the demo catalog and orders)"
	"$oms" demo
fi

staff=$(count staff_users)
if [[ "$staff" == 0 || -z "$staff" ]]; then
	if echo "$admin_password" | "$oms" user add --email "$admin_email" --name Admin --role admin >/dev/null 2>"$root/.data/user-add.err"; then
		echo "run: created the demo admin"
	elif [[ -z "$staff" ]]; then
		: # already there from an earlier run (psql could not tell us)
	else
		cat "$root/.data/user-add.err" >&2
		exit 1
	fi
fi

# Loopback only: plain http is then development, so cookies need no TLS (see
# OMS_SECURE_COOKIES); set OMS_ADDR=:8080 to be reached from elsewhere (behind TLS).
addr=${OMS_ADDR:-127.0.0.1:8080}
export OMS_ADDR=$addr
port=${addr##*:}
cat <<MSG

  OMS:        http://localhost:${port}
  demo login: ${admin_email} / ${admin_password}
  database:   ${DATABASE_URL%%\?*}

MSG
exec "$oms" serve
