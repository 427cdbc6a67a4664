#!/usr/bin/env bash
# Prints a DATABASE_URL (alone, on stdout) for the OMS to use.
#
#   scripts/db.sh [url [DBNAME]]   the URL; DBNAME (default postgres) is created if missing
#   scripts/db.sh replica [DBNAME] the URL of DBNAME on a streaming replica of the private
#                                  cluster (made once with pg_basebackup -R, under
#                                  .data/pg-replica, port OMS_PG_REPLICA_PORT or the next
#                                  free one; kept in .data/pg-replica.port)
#   scripts/db.sh stop             stops the private cluster (and its replica)
#   scripts/db.sh status           says whether the private cluster runs
#
# When DATABASE_URL is set it is printed as is and nothing is started. Otherwise a
# private PostgreSQL cluster is started (once) under .data/pg of the repository,
# on 127.0.0.1, port OMS_PG_PORT or the first free one from 54329 (kept in .data/pg.port),
# with durable commits (fsync on).
set -euo pipefail

cmd=${1:-url}
dbname=${2:-postgres}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# OMS_DATA_DIR: another place for the cluster (a test that stops and starts its own).
data_root="${OMS_DATA_DIR:-$root/.data}"

say() { echo "db.sh: $*" >&2; }
die() { say "$*"; exit 1; }

case "$cmd" in
url | start | replica | stop | status) ;;
*) die "unknown command '$cmd' (use: url [DBNAME] | replica [DBNAME] | stop | status)" ;;
esac

if [[ -n "${DATABASE_URL:-}" && "$cmd" != stop && "$cmd" != status ]]; then
	printf '%s\n' "$DATABASE_URL"
	exit 0
fi

# The server binaries: PATH first, then the distribution's and Homebrew's places.
find_bindir() {
	local d
	if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
		d=$(dirname "$(command -v pg_ctl)")
		# Debian symlinks: resolve to the directory that also holds postgres
		d=$(dirname "$(readlink -f "$d/pg_ctl")")
		if [[ -x "$d/postgres" && -x "$d/initdb" ]]; then
			echo "$d"
			return 0
		fi
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
		/opt/homebrew/opt/postgresql@*/bin /usr/local/opt/postgresql@*/bin \
		/usr/pgsql-*/bin; do
		if [[ -x "$d/pg_ctl" && -x "$d/initdb" && -x "$d/postgres" ]]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

if ! bindir=$(find_bindir); then
	{
		echo "db.sh: PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found,"
		echo "       neither on PATH nor under /usr/lib/postgresql/*/bin. Install them:"
		echo "         Debian/Ubuntu:  sudo apt-get install -y postgresql"
		echo "         macOS:          brew install postgresql@16"
		echo "       or point DATABASE_URL at an existing server (an admin URL for make test)."
	} >&2
	exit 1
fi

pgdata="$data_root/pg"
sockdir="$data_root/run"
logfile="$data_root/pg.log"
portfile="$data_root/pg.port"
mkdir -p "$data_root"

# The port: OMS_PG_PORT, else the one this cluster was given when it was created, else
# the first free one from 54329, so that two checkouts on one machine (a CI clone beside
# a working copy) each get their own cluster.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -n "${OMS_PG_PORT:-}" ]]; then
	port=$OMS_PG_PORT
elif [[ -s "$portfile" ]]; then
	port=$(<"$portfile")
else
	port=54329
	while listening "$port"; do
		((port++ < 54399)) || die "no free port in 54329-54399; set OMS_PG_PORT"
	done
fi

# PostgreSQL refuses to run as root: as root, run it as an unprivileged user.
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
	pguser=postgres
	if ! id -u "$pguser" >/dev/null 2>&1; then
		pguser=oms-postgres
		if ! id -u "$pguser" >/dev/null 2>&1; then
			say "creating system user $pguser to run PostgreSQL (it refuses to run as root)"
			useradd --system --no-create-home --shell /usr/sbin/nologin "$pguser" >/dev/null ||
				die "could not create user $pguser"
		fi
	fi
	if command -v runuser >/dev/null 2>&1; then
		as_pg=(runuser -u "$pguser" --)
	else
		as_pg=(sudo -u "$pguser" --)
	fi
	# The server user must be able to reach .data: a repository under a private
	# home directory (e.g. /root) is not traversable for it.
	if ! "${as_pg[@]}" test -x "$data_root"; then
		die "user $pguser cannot reach $data_root; clone the repository somewhere readable (e.g. /srv) or set DATABASE_URL"
	fi
	mkdir -p "$pgdata" "$sockdir"
	chown "$pguser" "$pgdata" "$sockdir"
	chmod 700 "$pgdata"
	touch "$logfile"
	chown "$pguser" "$logfile"
fi
mkdir -p "$sockdir"

pg() { "${as_pg[@]}" "$bindir/$1" "${@:2}"; }

running() { [[ -f "$pgdata/PG_VERSION" ]] && pg pg_ctl -D "$pgdata" status >/dev/null 2>&1; }
replica_data="$data_root/pg-replica"
replica_running() { [[ -f "$replica_data/PG_VERSION" ]] && pg pg_ctl -D "$replica_data" status >/dev/null 2>&1; }

case "$cmd" in
stop)
	if replica_running; then
		pg pg_ctl -D "$replica_data" -m fast -w stop >&2
	fi
	if running; then
		pg pg_ctl -D "$pgdata" -m fast -w stop >&2
	else
		say "the private cluster is not running"
	fi
	exit 0
	;;
status)
	if running; then
		say "running: $pgdata on 127.0.0.1:$port"
	else
		say "not running ($pgdata)"
		exit 3
	fi
	exit 0
	;;
esac

# Serialise concurrent callers (make test and make run at once) while starting.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$data_root/db.lock"
	flock 9
fi

if [[ ! -f "$pgdata/PG_VERSION" ]]; then
	say "initialising a private PostgreSQL cluster in $pgdata ($bindir)"
	mkdir -p "$pgdata"
	[[ -n "${pguser:-}" ]] && chown "$pguser" "$pgdata"
	chmod 700 "$pgdata"
	pg initdb -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C >"$data_root/initdb.log" 2>&1 ||
		{ cat "$data_root/initdb.log" >&2; die "initdb failed"; }
	echo "$port" >"$portfile"
	cat >>"$pgdata/postgresql.conf" <<EOF

# --- OMS private cluster (scripts/db.sh) ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 256MB
# durable commits: this is what the benchmark measures
fsync = on
synchronous_commit = on
full_page_writes = on
# fewer checkpoints during benchmarks and big test runs
max_wal_size = 2GB
checkpoint_timeout = 15min
work_mem = 8MB
maintenance_work_mem = 128MB
effective_cache_size = 1GB
max_worker_processes = 4
max_parallel_workers = 2
max_parallel_workers_per_gather = 1
log_min_duration_statement = -1
log_line_prefix = '%m [%p] %d '
EOF
fi

# The server outlives this script: it must not inherit the start lock or any pipe
# of the caller (e.g. `make test | tee`), or those would never be released.
close_fds() {
	local fd
	exec 9>&-
	if [[ -d /proc/$BASHPID/fd ]]; then
		for fd in $(ls /proc/$BASHPID/fd); do
			((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
		done
	fi
	exec </dev/null
	return 0
}

if ! running; then
	say "starting the private cluster on 127.0.0.1:$port (log: $logfile)"
	if ! (close_fds && pg pg_ctl -D "$pgdata" -l "$logfile" -o "-p $port" -w -t 60 start >/dev/null); then
		tail -n 20 "$logfile" >&2 || true
		die "PostgreSQL did not start (is port $port taken? set OMS_PG_PORT to use another)"
	fi
fi

psql_admin() {
	"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

for _ in $(seq 1 50); do
	psql_admin -tAc 'select 1' >/dev/null 2>&1 && break
	sleep 0.2
done
psql_admin -tAc 'select 1' >/dev/null || die "PostgreSQL on 127.0.0.1:$port does not answer"

if [[ "$dbname" != postgres ]]; then
	[[ "$dbname" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name '$dbname'"
	if [[ -z $(psql_admin -tAc "select 1 from pg_database where datname = '$dbname'") ]]; then
		psql_admin -c "create database $dbname" >/dev/null
	fi
fi

# The replica: a copy of the running cluster (pg_basebackup -R writes the standby
# settings), started on a port of its own; it follows the primary by streaming
# replication and answers read-only queries (hot standby).
if [[ "$cmd" == replica ]]; then
	rportfile="$data_root/pg-replica.port"
	if [[ -n "${OMS_PG_REPLICA_PORT:-}" ]]; then
		rport=$OMS_PG_REPLICA_PORT
	elif [[ -s "$rportfile" ]]; then
		rport=$(<"$rportfile")
	else
		rport=$((port + 1))
		while listening "$rport"; do
			((rport++ < 54499)) || die "no free port for the replica; set OMS_PG_REPLICA_PORT"
		done
	fi
	if [[ ! -f "$replica_data/PG_VERSION" ]]; then
		say "making a streaming replica in $replica_data (pg_basebackup -R)"
		mkdir -p "$replica_data"
		[[ -n "${pguser:-}" ]] && chown "$pguser" "$replica_data"
		chmod 700 "$replica_data"
		pg pg_basebackup -h 127.0.0.1 -p "$port" -U postgres -D "$replica_data" -R -X stream -c fast >&2 ||
			die "pg_basebackup failed"
		printf '\n# --- OMS private replica (scripts/db.sh replica) ---\nport = %s\nhot_standby = on\n' "$rport" |
			"${as_pg[@]}" tee -a "$replica_data/postgresql.conf" >/dev/null
		echo "$rport" >"$rportfile"
	fi
	if ! replica_running; then
		say "starting the replica on 127.0.0.1:$rport (log: $data_root/pg-replica.log)"
		touch "$data_root/pg-replica.log"
		[[ -n "${pguser:-}" ]] && chown "$pguser" "$data_root/pg-replica.log"
		if ! (close_fds && pg pg_ctl -D "$replica_data" -l "$data_root/pg-replica.log" -o "-p $rport" -w -t 60 start >/dev/null); then
			tail -n 20 "$data_root/pg-replica.log" >&2 || true
			die "the replica did not start"
		fi
	fi
	# The database may be new on the primary: wait until the replica has replayed it.
	for _ in $(seq 1 100); do
		if [[ -n $("$bindir/psql" -X -h 127.0.0.1 -p "$rport" -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$dbname'" 2>/dev/null) ]]; then
			printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$rport" "$dbname"
			exit 0
		fi
		sleep 0.1
	done
	die "the replica does not have database $dbname"
fi

printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$port" "$dbname"
