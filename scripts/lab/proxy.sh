# SPDX-License-Identifier: GPL-2.0
# proxy.sh - the reverse proxy, nginx in its namespace: it ends the
# devices' TLS (mail.lab) and opens new TLS to the CAS, verified against
# the lab CA for cas.lab, over kept-alive upstream connections. It is the
# only source the policy allows on 443. Its upstream source address is
# its near address (on the CAS's link) or, for the routed scenario, its
# far address (its packets then reach the CAS through the router, with
# the router's MAC and one hop less of TTL). Sourced by lab.sh.

CL_PROXY_DIR=
CL_PROXY_SRC= # the proxy's upstream source address now

# cl_proxy_conf SRC
cl_proxy_conf() {
	cl_nginx_conf "$CL_PROXY_DIR"
	cat <<-EOF
		    upstream cas {
		        server $CL_CAS4:443;
		        keepalive 32;
		        keepalive_timeout 300s;
		        keepalive_requests 100000;
		    }
		    server {
		        listen $CL_PXFRONT4:443 ssl;
		        server_name $CL_PX_NAME;
		        ssl_certificate $CL_DIR/ca/proxy.pem;
		        ssl_certificate_key $CL_DIR/ca/proxy.key;
		        ssl_protocols TLSv1.2 TLSv1.3;
		        location /Microsoft-Server-ActiveSync {
		            proxy_pass https://cas;
		            proxy_bind $1;
		            proxy_http_version 1.1;
		            proxy_set_header Connection "";
		            proxy_set_header Host $CL_CAS_NAME;
		            proxy_ssl_server_name on;
		            proxy_ssl_name $CL_CAS_NAME;
		            proxy_ssl_verify on;
		            proxy_ssl_trusted_certificate $CL_DIR/ca/ca.pem;
		            proxy_ssl_session_reuse on;
		            proxy_connect_timeout 10s;
		            # Longer than any Ping's heartbeat.
		            proxy_read_timeout 3700s;
		            proxy_buffering off;
		        }
		        location / { return 404; }
		    }
		}
	EOF
}

# cl_proxy_up near|far [fresh]: start the proxy, or reload it with that
# source; fresh: start it anew, with no kept-alive connection to the CAS.
cl_proxy_up() {
	local src=$CL_PX4
	[ "$1" = far ] && src=$CL_PXFAR4
	CL_PROXY_DIR=$CL_DIR/proxy
	install -d -m 0755 "$CL_PROXY_DIR"
	if [ "${2:-}" = fresh ]; then
		cl_proxy_down
		rm -f "$CL_PROXY_DIR/nginx.pid"
		CL_PROXY_SRC=
	elif [ -s "$CL_PROXY_DIR/nginx.pid" ] && [ "$src" = "$CL_PROXY_SRC" ]; then
		return 0
	fi
	cl_proxy_conf "$src" >"$CL_DIR/proxy.conf.new" && mv "$CL_DIR/proxy.conf.new" "$CL_PROXY_DIR/nginx.conf"
	if [ -s "$CL_PROXY_DIR/nginx.pid" ]; then
		cl_ns "$CL_NS_PX" nginx -c "$CL_PROXY_DIR/nginx.conf" -e "$CL_PROXY_DIR/error.log" -s reload ||
			{ cl_fail "the proxy's nginx refused to reload" "$CL_PROXY_DIR/error.log"; return 1; }
		sleep 0.5
	else
		cl_nginx_start proxy "$CL_PROXY_DIR" "$CL_NS_PX" || return 1
	fi
	CL_PROXY_SRC=$src
	cl_wait "the proxy (OPTIONS from a device answered 200 through it)" 15 "$CL_PROXY_DIR/error.log" \
		cl_proxy_answers
}

cl_proxy_answers() {
	[ "$(cl_ns "$CL_NS_DEV" curl -s -o /dev/null -m 5 -w '%{http_code}' -X OPTIONS \
		-u "${CL_USERS%%,*}:$CL_PASSWORD" --cacert "$CL_DIR/ca/ca.pem" \
		--resolve "$CL_PX_NAME:443:$CL_PXFRONT4" "https://$CL_PX_NAME/Microsoft-Server-ActiveSync")" = 200 ]
}

cl_proxy_down() {
	cl_nginx_stop "$CL_DIR/proxy"
}
