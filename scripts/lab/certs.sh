# SPDX-License-Identifier: GPL-2.0
# certs.sh - the lab's CA (openssl) and the certificates it signs: the
# CAS's (cas.lab, for the proxy's verified upstream TLS) and the proxy's
# (mail.lab, for the devices). Made anew for every lab, in $CL_DIR/ca,
# never installed in the host's trust store. Sourced by lab.sh.

# cl_cert NAME CN SAN: a key and a certificate signed by the lab CA.
cl_cert() {
	local dir=$CL_DIR/ca
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/$1.key" -subj "/O=casshield lab/CN=$2" -out "$dir/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$3" >"$dir/$1.ext" &&
		openssl x509 -req -in "$dir/$1.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
			-CAcreateserial -days 2 -sha256 -extfile "$dir/$1.ext" -out "$dir/$1.pem" 2>/dev/null
}

cl_certs() {
	local dir=$CL_DIR/ca
	mkdir -p "$dir"
	chmod 0755 "$dir"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/ca.key" -subj "/O=casshield lab/CN=casshield lab CA $CASLAB" \
		-days 2 -sha256 -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign -out "$dir/ca.pem" 2>/dev/null &&
		cl_cert cas "$CL_CAS_NAME" "DNS:$CL_CAS_NAME,IP:$CL_CAS4,IP:$CL_CAS6" &&
		cl_cert proxy "$CL_PX_NAME" "DNS:$CL_PX_NAME,IP:$CL_PXFRONT4" ||
		{ cl_fail "openssl could not make the lab's certificates"; return 1; }
	chmod 0644 "$dir"/*.pem
}
