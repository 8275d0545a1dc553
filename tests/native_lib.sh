# tests/native_lib.sh - real Debian programs for the t_native_*.sh tests.
#
# Each start_* function starts one program from its Debian package on
# loopback, on a free port, under $TMP, registers it for the cleanup of
# lib.sh and sets SRV_PID to the process to inspect; it returns 1 (with a
# note) when the program is not installed (scripts/deps.sh test installs
# them all).

# free_port: a TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_threads PID N: until PID has at least N threads and they all sleep (30 s).
wait_threads() {
	local i
	for ((i = 0; i < 300; i++)); do
		if [ -d /proc/"$1" ] && [ "$(ls /proc/"$1"/task | wc -l)" -ge "$2" ] &&
			! grep -q '^State:.R' /proc/"$1"/task/*/status 2>/dev/null; then
			sleep 0.2
			return 0
		fi
		sleep 0.1
	done
	echo "# process $1 did not settle with $2 threads"
	return 1
}

need() {
	command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "# $1 is not installed (scripts/deps.sh test installs it)"; return 1; }
}

start_redis() {
	need redis-server || return 1
	local port
	port=$(free_port)
	redis-server --port "$port" --bind 127.0.0.1 --io-threads 4 --save '' --appendonly no --dir "$TMP" \
		--daemonize no --logfile "$TMP/redis.log" &
	SRV_PID=$!
	fx_track "$SRV_PID"
	wait_threads "$SRV_PID" 7
}

start_nginx() {
	need /usr/sbin/nginx || return 1
	local port
	port=$(free_port)
	mkdir -p "$TMP/nginx/logs" "$TMP/nginx/html"
	echo hello >"$TMP/nginx/html/index.html"
	cat >"$TMP/nginx/nginx.conf" <<CONF
daemon off;
master_process off;
error_log $TMP/nginx/logs/error.log;
pid $TMP/nginx/nginx.pid;
thread_pool tp threads=4;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen 127.0.0.1:$port;
		root $TMP/nginx/html;
		location / { aio threads=tp; }
	}
}
CONF
	/usr/sbin/nginx -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" &
	SRV_PID=$!
	fx_track "$SRV_PID"
	wait_threads "$SRV_PID" 5
}

start_memcached() {
	need memcached || return 1
	local port
	port=$(free_port)
	memcached -t 8 -l 127.0.0.1 -p "$port" -U 0 -u root -m 16 &
	SRV_PID=$!
	fx_track "$SRV_PID"
	wait_threads "$SRV_PID" 10
}

# A postgres cluster under $TMP, and the backend running pg_sleep.
start_postgres() {
	local bin
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1)
	[ -n "$bin" ] && need "$bin/postgres" || return 1
	local port dir=$TMP/pg
	port=$(free_port)
	mkdir -p "$dir"
	chown postgres "$dir" "$TMP"
	chmod 755 "$TMP"
	runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres >"$dir/initdb.log" 2>&1 || {
		echo "# initdb failed: $(tail -n 3 "$dir/initdb.log")"
		return 1
	}
	runuser -u postgres -- "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
		>"$dir/log" 2>&1 &
	PG_PID=$!
	fx_track "$PG_PID"
	local i
	for ((i = 0; i < 100; i++)); do
		runuser -u postgres -- psql -h "$dir" -p "$port" -Atc 'select 1' >/dev/null 2>&1 && break
		sleep 0.1
	done
	runuser -u postgres -- psql -h "$dir" -p "$port" -Atc 'select pg_sleep(600)' >/dev/null 2>&1 &
	fx_track "$!"
	SRV_PID=
	for ((i = 0; i < 100; i++)); do
		[ -n "$SRV_PID" ] && break
		sleep 0.1
		SRV_PID=$(runuser -u postgres -- psql -h "$dir" -p "$port" -Atc \
			"select pid from pg_stat_activity where query = 'select pg_sleep(600)'" 2>/dev/null)
	done
	[ -n "$SRV_PID" ] && wait_threads "$SRV_PID" 1
}

start_python() {
	need python3 || return 1
	python3 -c '
import threading, time
ev = threading.Event()
lock = threading.Lock()
lock.acquire()
for _ in range(3):
    threading.Thread(target=ev.wait, daemon=True).start()
for _ in range(2):
    threading.Thread(target=lock.acquire, daemon=True).start()
threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
time.sleep(3600)
' &
	SRV_PID=$!
	fx_track "$SRV_PID"
	wait_threads "$SRV_PID" 7
}

# gdb_frames_here PID: gdb_frames reading the files (debug files
# included) from gdb's own file system, not the target's: gdb's default
# sysroot is the target's, /proc/PID/root, where a mount namespace of
# pileup's and gdb's own hides nothing.
gdb_frames_here() {
	timeout 120 gdb -nx -batch -iex 'set sysroot /' -p "$1" -ex 'set pagination off' -ex 'set backtrace past-main on' \
		-ex 'set backtrace past-entry on' -ex 'thread apply all bt -frame-info location-and-address' 2>/dev/null |
		awk '/^Thread [0-9]+ \(.*LWP [0-9]+/ { if (tid) print tid, pcs; match($0, /LWP [0-9]+/); tid = substr($0, RSTART + 4, RLENGTH - 4); pcs = "" }
		     /^#[0-9]+ +0x[0-9a-f]+ in / { v = $2; sub(/^0x0*/, "0x", v); pcs = pcs " " v }
		     END { if (tid) print tid, pcs }' | sed 's/  */ /g' | sort -n
}

# eu_frames PID: "tid pc pc..." per thread from eu-stack, like gdb_frames.
eu_frames() {
	timeout 60 eu-stack -p "$1" 2>/dev/null |
		awk '/^TID [0-9]+:/ { if (tid) print tid, pcs; tid = $2; sub(/:/, "", tid); pcs = "" }
		     /^#[0-9]+ +0x[0-9a-f]+/ { v = $2; sub(/^0x0*/, "0x", v); pcs = pcs " " v }
		     END { if (tid) print tid, pcs }' | sed 's/  */ /g' | sort -n
}

# json_phys JSON: physical frames only (no inline or tail-call frames),
# as eu-stack prints them.
json_phys() {
	jq -r '.threads[] | "\(.tid) \([.frames[] | select((.inlined | not) and ((.tail_call // false) | not)) | .pc] | join(" "))"' "$1" |
		awk '{ printf "%s", $1; for (i = 2; i <= NF; i++) { v = $i; sub(/^0x0*/, "0x", v); printf " %s", v } print "" }' | sort -n
}
