# SPDX-License-Identifier: GPL-2.0
# cas.sh - the CAS's daemons, in the root namespace, on the CAS's CPU:
# PostgreSQL (a private cluster: SOGo's profile, folder-info and session
# tables, and the SQL user table), dovecot (the IMAP mail store),
# memcached, sogod (SOGo with its ActiveSync module) and nginx (TLS in
# front of sogod). Every file they use is in $CL_DIR; nothing under /etc
# is written: SOGo takes its settings as command-line defaults, which
# GNUstep ranks above /etc/sogo/sogo.conf. Sourced by lab.sh.

# cl_daemon NAME CMD...: run a daemon's start command on the CAS's CPU.
cl_daemon() {
	local name=$1
	shift
	taskset -c "$CL_CAS_CPU" "$@" >>"$CL_DIR/log/$name.start" 2>&1 ||
		{ cl_fail "$name did not start" "$CL_DIR/log/$name.start"; return 1; }
}

# cl_wait WHAT SECONDS LOG CMD...: until CMD succeeds; else the log's tail.
# The bound is time, not tries: a CMD that times out itself (curl -m 5)
# must not stretch a 15 s wait to 150 of its own timeouts.
cl_wait() {
	local what=$1 seconds=$2 log=$3 deadline
	shift 3
	# EPOCHREALTIME in microseconds: its point is the locale's, dropped.
	deadline=$((${EPOCHREALTIME//[!0-9]/} + seconds * 1000000))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "${EPOCHREALTIME//[!0-9]/}" -lt "$deadline" ] || break
		sleep 0.1
	done
	cl_fail "$what not ready after $seconds s" "$log"
	return 1
}

cl_psql() { psql -X -q -v ON_ERROR_STOP=1 -h "$CL_DIR/pg" -p "$CL_PORT_PG" -U postgres "$@"; }

cl_postgres_up() {
	local dir=$CL_DIR/pg
	install -d -o postgres -g postgres -m 0700 "$dir"
	runuser -u postgres -- "$CL_PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust \
		-E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 ||
		{ cl_fail "initdb failed" "$dir/initdb.log"; return 1; }
	cl_daemon postgres runuser -u postgres -- "$CL_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		-w -t 30 -o "-p $CL_PORT_PG -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start ||
		{ cl_fail "PostgreSQL did not start" "$dir/postgres.log"; return 1; }
	local user values=()
	for user in ${CL_USERS//,/ }; do
		values+=("('$user', '$user', '$CL_PASSWORD', 'Lab device $user', '$user@$CL_MAIL_DOMAIN')")
	done
	cl_psql >"$dir/schema.log" 2>&1 <<-EOF || { cl_fail "cannot create SOGo's database" "$dir/schema.log"; return 1; }
		CREATE ROLE sogo LOGIN PASSWORD 'caslab-db';
		CREATE DATABASE sogo OWNER sogo;
		\\c sogo
		SET ROLE sogo;
		CREATE TABLE sogo_users (c_uid varchar(128) PRIMARY KEY, c_name varchar(128) NOT NULL,
		    c_password varchar(256) NOT NULL, c_cn varchar(256), mail varchar(256));
		INSERT INTO sogo_users VALUES $(IFS=,; echo "${values[*]}");
	EOF
}

cl_postgres_down() {
	local data=$CL_DIR/pg/data
	[ -e "$data/postmaster.pid" ] || return 0
	runuser -u postgres -- "$CL_PG_BIN/pg_ctl" -D "$data" -m fast -w -t 10 stop >/dev/null 2>&1 ||
		runuser -u postgres -- "$CL_PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1
}

cl_dovecot_up() {
	local dir=$CL_DIR/dovecot user
	install -d -m 0755 "$dir" "$dir/run" "$dir/state"
	install -d -o mail -g mail -m 0700 "$CL_DIR/mail"
	: >"$dir/users"
	for user in ${CL_USERS//,/ }; do
		echo "$user:{PLAIN}$CL_PASSWORD" >>"$dir/users"
	done
	chown root:dovecot "$dir/users"
	chmod 0640 "$dir/users"
	cat >"$dir/dovecot.conf" <<-EOF
		base_dir = $dir/run
		state_dir = $dir/state
		log_path = $dir/dovecot.log
		protocols = imap
		listen = 127.0.0.1
		ssl = no
		disable_plaintext_auth = no
		mail_location = maildir:$CL_DIR/mail/%u
		mail_uid = mail
		mail_gid = mail
		first_valid_uid = $(id -u mail)
		first_valid_gid = $(id -g mail)
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN username_format=%u $dir/users
		}
		userdb {
		  driver = static
		  args = uid=mail gid=mail home=$CL_DIR/mail/%u
		}
		service imap-login {
		  chroot =
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $CL_PORT_IMAP
		  }
		  inet_listener imaps {
		    port = 0
		  }
		}
		service anvil {
		  chroot =
		}
	EOF
	cl_daemon dovecot dovecot -c "$dir/dovecot.conf" &&
		cl_wait "dovecot" 10 "$dir/dovecot.log" cl_imap_login "${CL_USERS%%,*}" &&
		for user in ${CL_USERS//,/ }; do
			cl_imap_login "$user" seed >>"$dir/seed.log" 2>&1 ||
				{ cl_fail "dovecot refuses $user" "$dir/dovecot.log"; return 1; }
		done
}

# cl_imap_login USER [seed]: log in over IMAP; seed puts one message in INBOX.
cl_imap_login() {
	"$CL_PY" - "$CL_PORT_IMAP" "$1" "$CL_PASSWORD" "${2:-}" "$CL_MAIL_DOMAIN" <<-'PY'
		import imaplib, sys
		port, user, password, seed, domain = sys.argv[1:]
		m = imaplib.IMAP4("127.0.0.1", int(port))
		m.login(user, password)
		if seed:
		    msg = ("From: lab@%s\r\nTo: %s@%s\r\nSubject: welcome to the CAS lab\r\n\r\nhello\r\n"
		           % (domain, user, domain)).encode()
		    m.append("INBOX", None, None, msg)
		m.logout()
	PY
}

cl_dovecot_down() {
	cl_kill_pidfile "$CL_DIR/dovecot/run/master.pid"
}

cl_memcached_up() {
	install -d -o memcache -m 0755 "$CL_DIR/memcached"
	cl_daemon memcached memcached -d -l 127.0.0.1 -p "$CL_PORT_MEMCACHED" -U 0 -u memcache -m 64 \
		-P "$CL_DIR/memcached/memcached.pid" &&
		cl_wait "memcached" 5 "$CL_DIR/log/memcached.start" bash -c "exec 3<>/dev/tcp/127.0.0.1/$CL_PORT_MEMCACHED"
}

cl_memcached_down() {
	cl_kill_pidfile "$CL_DIR/memcached/memcached.pid"
}

# cl_sogo_args: SOGo's settings, as NSArgumentDomain defaults.
cl_sogo_args() {
	local db="postgresql://sogo:caslab-db@127.0.0.1:$CL_PORT_PG/sogo"
	CL_SOGO_ARGS=(
		-WOPort "127.0.0.1:$CL_PORT_SOGO"
		-WOPidFile "$CL_DIR/sogo/sogo.pid"
		-WOLogFile "$CL_DIR/sogo/sogo.log"
		-SOGoProfileURL "$db/sogo_user_profile"
		-OCSFolderInfoURL "$db/sogo_folder_info"
		-OCSSessionsFolderURL "$db/sogo_sessions_folder"
		-OCSEMailAlarmsFolderURL "$db/sogo_alarms_folder"
		-SOGoUserSources "({type = sql; id = lab_users; viewURL = \"$db/sogo_users\"; canAuthenticate = YES; isAddressBook = NO; userPasswordAlgorithm = plain;})"
		-SOGoIMAPServer "imap://127.0.0.1:$CL_PORT_IMAP"
		-SOGoMemcachedHost "127.0.0.1:$CL_PORT_MEMCACHED"
		-SOGoMailDomain "$CL_MAIL_DOMAIN"
		-SOGoTimeZone UTC
		-SOGoSieveScriptsEnabled NO
		-SOGoVacationEnabled NO
		-SOGoForwardEnabled NO
	)
}

# cl_sogo_start WORKERS
cl_sogo_start() {
	cl_sogo_args
	(cd / && cl_daemon sogod start-stop-daemon -c sogo --start --pidfile "$CL_DIR/sogo/sogo.pid" \
		--exec /usr/sbin/sogod -- -WOWorkersCount "$1" "${CL_SOGO_ARGS[@]}") &&
		cl_wait "sogod (an HTTP 401 from its ActiveSync URL)" 30 "$CL_DIR/sogo/sogo.log" cl_sogo_answers
}

# sogod accepts connections before a worker is ready: wait for its 401.
cl_sogo_answers() {
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -X OPTIONS \
		"http://127.0.0.1:$CL_PORT_SOGO/SOGo/Microsoft-Server-ActiveSync")" = 401 ]
}

cl_sogo_up() {
	install -d -o sogo -g sogo -m 0755 "$CL_DIR/sogo"
	# One worker first: it creates SOGo's tables, which several workers
	# starting together would race to create.
	cl_sogo_start 1 && cl_sogo_down && cl_sogo_start "$CL_SOGO_WORKERS"
}

# The parent waits for its workers on SIGTERM, and idle workers do not
# end on it: the parent first (it stops respawning), then the workers.
cl_sogo_down() {
	local pid child i
	pid=$(cat "$CL_DIR/sogo/sogo.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for child in $(ps -o pid= --ppid "$pid"); do
		kill -KILL "$child" 2>/dev/null
	done
	for i in $(seq 100); do
		cl_alive "$pid" || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	rm -f "$CL_DIR/sogo/sogo.pid"
	return 0
}

# cl_nginx_conf DIR: the parts of an nginx.conf every lab nginx shares.
cl_nginx_conf() {
	install -d -m 0755 "$1/tmp"
	cat <<-EOF
		user www-data;
		worker_processes 1;
		pid $1/nginx.pid;
		error_log $1/error.log warn;
		events { worker_connections 4096; }
		http {
		    access_log off;
		    client_body_temp_path $1/tmp/body;
		    proxy_temp_path $1/tmp/proxy;
		    fastcgi_temp_path $1/tmp/fastcgi;
		    uwsgi_temp_path $1/tmp/uwsgi;
		    scgi_temp_path $1/tmp/scgi;
		    keepalive_timeout 120s;
		    keepalive_requests 100000;
	EOF
}

# cl_nginx_start NAME DIR [NETNS]
cl_nginx_start() {
	local name=$1 dir=$2 ns=${3:-} run=()
	[ -n "$ns" ] && run=(ip netns exec "$ns")
	"${run[@]}" nginx -t -q -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/check.log" 2>&1 ||
		{ cl_fail "$name: nginx refuses its configuration" "$dir/check.log"; return 1; }
	if [ -n "$ns" ]; then
		"${run[@]}" nginx -c "$dir/nginx.conf" -e "$dir/error.log" >>"$dir/check.log" 2>&1
	else
		cl_daemon "$name" nginx -c "$dir/nginx.conf" -e "$dir/error.log"
	fi || { cl_fail "$name did not start" "$dir/error.log"; return 1; }
}

cl_nginx_stop() {
	cl_kill_pidfile "$1/nginx.pid"
}

cl_cas_nginx_up() {
	local dir=$CL_DIR/nginx-cas
	install -d -m 0755 "$dir"
	{
		cl_nginx_conf "$dir"
		cat <<-EOF
			    server {
			        listen $CL_CAS4:443 ssl;
			        listen [$CL_CAS6]:443 ssl;
			        server_name $CL_CAS_NAME;
			        ssl_certificate $CL_DIR/ca/cas.pem;
			        ssl_certificate_key $CL_DIR/ca/cas.key;
			        ssl_protocols TLSv1.2 TLSv1.3;
			        ssl_session_cache shared:cas:1m;
			        location /Microsoft-Server-ActiveSync {
			            proxy_pass http://127.0.0.1:$CL_PORT_SOGO/SOGo/Microsoft-Server-ActiveSync;
			            proxy_set_header Host \$host;
			            proxy_set_header X-Forwarded-For \$remote_addr;
			            proxy_read_timeout 3700s;
			            proxy_buffering off;
			        }
			        location / { return 404; }
			    }
			}
		EOF
	} >"$dir/nginx.conf"
	cl_nginx_start nginx-cas "$dir" &&
		cl_wait "the CAS's nginx" 10 "$dir/error.log" cl_cas_answers
}

cl_cas_answers() {
	[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' -X OPTIONS \
		--cacert "$CL_DIR/ca/ca.pem" --resolve "$CL_CAS_NAME:443:$CL_CAS4" \
		"https://$CL_CAS_NAME/Microsoft-Server-ActiveSync")" = 401 ]
}

cl_cas_up() {
	cl_postgres_up && cl_dovecot_up && cl_memcached_up && cl_sogo_up && cl_cas_nginx_up
}

cl_cas_down() {
	cl_nginx_stop "$CL_DIR/nginx-cas"
	cl_sogo_down
	cl_memcached_down
	cl_dovecot_down
	cl_postgres_down
}
