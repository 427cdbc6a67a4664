#!/usr/bin/env bash
# `make run`: database, migrations, demo data and a demo admin, Mailpit to catch the
# emails (unless OMS_SMTP_URL is set), then `oms serve`. Ctrl-C stops the OMS and
# Mailpit; the database keeps running (make db-stop).
#
#   OMS_ADDR          where the OMS listens (default 127.0.0.1:8080)
#   OMS_MAILPIT_SMTP  Mailpit's SMTP address (default 127.0.0.1:1025; a port alone: on 127.0.0.1)
#   OMS_MAILPIT_UI    Mailpit's web inbox and API (default 127.0.0.1:8025)
#   OMS_MAILPIT       a Mailpit binary to use instead of bin/mailpit (built from tools/go.mod with
#                     its web page by scripts/mailpit-build.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
oms="$root/bin/oms"
admin_email=admin@example.com
admin_password=demo-admin-password

die() { echo "run: $*" >&2; exit 1; }
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# host:port, or a port alone (on 127.0.0.1); ":port" means every interface, checked on 127.0.0.1.
hostport() {
	local v=$1
	[[ $v == *:* ]] || v=127.0.0.1:$v
	local host=${v%:*} port=${v##*:}
	host=${host#[}
	host=${host%]}
	[[ $port =~ ^[0-9]+$ ]] || die "bad address '$1' (want host:port or a port)"
	echo "${host:-127.0.0.1} $port"
}
# host port -> host:port, [host]:port for an IPv6 address.
joinhp() { if [[ $1 == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }

# One `make run` per checkout at a time; one owner per port on the machine.
mkdir -p "$root/.data"
if command -v flock >/dev/null 2>&1; then
	exec 8>"$root/.data/run.lock"
	flock -n 8 || die "another 'make run' is running in this checkout ($root); stop it first (Ctrl-C)"
fi

# Loopback only: plain http is then development, so cookies need no TLS (see
# OMS_SECURE_COOKIES); set OMS_ADDR=:8080 to be reached from elsewhere (behind TLS).
addr=${OMS_ADDR:-127.0.0.1:8080}
export OMS_ADDR=$addr
port=${addr##*:}
hp=$(hostport "$addr")
read -r oms_host oms_port <<<"$hp"
! listening "$oms_host" "$oms_port" ||
	die "$oms_host:$oms_port is taken (another 'make run'?); set OMS_ADDR, e.g. OMS_ADDR=127.0.0.1:8090"

# Mailpit: unless OMS_SMTP_URL names a server, every email the OMS sends lands in it.
mailpit_pid=
if [[ -z "${OMS_SMTP_URL:-}" ]]; then
	hp=$(hostport "${OMS_MAILPIT_SMTP:-127.0.0.1:1025}")
	read -r smtp_host smtp_port <<<"$hp"
	hp=$(hostport "${OMS_MAILPIT_UI:-127.0.0.1:8025}")
	read -r ui_host ui_port <<<"$hp"
	taken() {
		die "$1:$2 is taken (another 'make run', or the Mailpit of another checkout?); set $3 to another port, or OMS_SMTP_URL to use a running SMTP server"
	}
	! listening "$smtp_host" "$smtp_port" || taken "$smtp_host" "$smtp_port" OMS_MAILPIT_SMTP
	! listening "$ui_host" "$ui_port" || taken "$ui_host" "$ui_port" OMS_MAILPIT_UI

	mailpit=${OMS_MAILPIT:-$root/bin/mailpit}
	# Built once per version pinned in tools/go.mod, with its web page when npm is there.
	[[ -n "${OMS_MAILPIT:-}" ]] || "$root/scripts/mailpit-build.sh"
	[[ -x "$mailpit" ]] || die "no Mailpit binary at $mailpit"

	smtp_addr=$(joinhp "$smtp_host" "$smtp_port")
	ui_addr=$(joinhp "$ui_host" "$ui_port")
	mkdir -p "$root/.data/mailpit"
	echo "run: starting Mailpit (SMTP $smtp_addr, inbox $ui_addr; log: .data/mailpit.log)"
	# Its own stdin and log, without the lock: it does not outlive this script (trap below).
	"$mailpit" --smtp "$smtp_addr" --listen "$ui_addr" \
		--database "$root/.data/mailpit/mailpit.db" --disable-version-check --smtp-disable-rdns \
		</dev/null >>"$root/.data/mailpit.log" 2>&1 8>&- &
	mailpit_pid=$!
	stop_mailpit() {
		[[ -n "$mailpit_pid" ]] || return 0
		if kill "$mailpit_pid" 2>/dev/null; then
			for _ in $(seq 1 50); do
				kill -0 "$mailpit_pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$mailpit_pid" 2>/dev/null || true
		fi
		wait "$mailpit_pid" 2>/dev/null || true
		mailpit_pid=
	}
	trap stop_mailpit EXIT
	for _ in $(seq 1 100); do
		kill -0 "$mailpit_pid" 2>/dev/null || { tail -n 20 "$root/.data/mailpit.log" >&2; die "Mailpit did not start"; }
		listening "$smtp_host" "$smtp_port" && listening "$ui_host" "$ui_port" && break
		sleep 0.1
	done
	listening "$smtp_host" "$smtp_port" || die "Mailpit does not listen on $smtp_addr (see .data/mailpit.log)"

	export OMS_SMTP_URL="smtp://$smtp_addr"
	export OMS_MAIL_FROM=${OMS_MAIL_FROM:-Demo Shop <shop@example.com>}
fi

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

if [[ -n "$mailpit_pid" ]]; then
	inbox=$ui_addr
	[[ $ui_host == 127.0.0.1 || $ui_host == 0.0.0.0 ]] && inbox=localhost:$ui_port
	email="inbox:      http://${inbox}  (Mailpit catches every email; SMTP on $smtp_addr)"
	if [[ -z "${OMS_MAILPIT:-}" ]]; then
		# Built without its web page when npm was missing or failed (scripts/mailpit-build.sh).
		blank=
		case $(cat "$root/bin/mailpit.built" 2>/dev/null || true) in
		*" no-npm") blank="no npm to build it: install Node.js and npm, then make run again" ;;
		*" npm-failed") blank="npm failed, see .data/mailpit-build/build.log; rm bin/mailpit to retry" ;;
		esac
		if [[ -n "$blank" ]]; then
			email+=$'\n'"              its page is blank ($blank);"
			email+=$'\n'"              the API lists the emails, /api/v1/messages, and shows one, /view/<ID>.html"
		fi
	fi
else
	# The password stays out of the banner.
	email="email:      $(sed -E 's#(://[^:/@]*):[^@/]*@#\1:xxxxx@#' <<<"$OMS_SMTP_URL")"
fi
cat <<MSG

  OMS:        http://localhost:${port}
  demo login: ${admin_email} / ${admin_password}
  database:   ${DATABASE_URL%%\?*}
  ${email}

MSG

# Not exec: this script stays to stop Mailpit when the OMS ends. Ctrl-C reaches the OMS
# from the terminal; a TERM or HUP sent to this script is passed on to it.
"$oms" serve 8>&- &
oms_pid=$!
trap 'kill -TERM "$oms_pid" 2>/dev/null || true' INT TERM HUP
status=0
wait "$oms_pid" || status=$?
while kill -0 "$oms_pid" 2>/dev/null; do
	status=0
	wait "$oms_pid" || status=$?
done
exit "$status"
