#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_deb.sh - the Debian package as built by `make deb` (and `make
# deb-next`, the upgrade test's later version): one version everywhere,
# the files and their modes, computed dependencies, the shipped
# configuration shields nothing, the life-cycle hooks, lintian clean, and
# the tree left as it was. Installing, upgrading and removing it under
# systemd is proven in the VM stage (tests/vm/guest/test_package.sh).
set -u
source tests/lib/tap.sh
arch=$(dpkg --print-architecture)
version=$(sed -nE 's/^#define CAS_VERSION[[:space:]]+"([^"]+)"$/\1/p' include/casshield.h)
deb=build/deb/casshield_${version}_${arch}.deb
next=build/deb-next/casshield_${version}+next_${arch}.deb
for f in "$deb" "$next"; do
	if [ ! -f "$f" ]; then
		tap_fail "$f exists" "build it with: make deb deb-next"
		tap_done
		exit 1
	fi
done
x=$(mktemp -d)
trap 'rm -rf "$x"' EXIT
dpkg-deb -R "$deb" "$x/pkg"
dpkg-deb -x "$next" "$x/next"

# One version: the header's, the package's, the binary's, the man page's.
check_eq "the package's version is the header's" "$version" "$(dpkg-deb -f "$deb" Version)"
check_eq "casshield --version agrees with the package" "casshield $version" "$("$x/pkg/usr/sbin/casshield" --version)"
check_match "the man page's title line names the version" "\"casshield $version\"" "$(head -n1 docs/casshield.8)"
check_eq "the later build's version" "$version+next" "$(dpkg-deb -f "$next" Version)"
check_eq "the later build's binary agrees" "casshield $version+next" "$("$x/next/usr/sbin/casshield" --version)"
check_match "the later build's man page agrees" "\"casshield $version\+next\"" "$(zcat "$x/next/usr/share/man/man8/casshield.8.gz" | head -n1)"
check_cmd "the later build sorts after this one" 0 "" -- dpkg --compare-versions "$version+next" gt "$version"

# Files, modes, owners.
listing=$(dpkg-deb -c "$deb")
mode_of() { awk -v p="./$1" '$6 == p { print $1, $2 }' <<<"$listing"; }
check_eq "the binary in /usr/sbin" "-rwxr-xr-x root/root" "$(mode_of usr/sbin/casshield)"
check_eq "the man page" "-rw-r--r-- root/root" "$(mode_of usr/share/man/man8/casshield.8.gz)"
check_eq "the bash completion" "-rw-r--r-- root/root" "$(mode_of usr/share/bash-completion/completions/casshield)"
check_eq "the systemd unit" "-rw-r--r-- root/root" "$(mode_of lib/systemd/system/casshield.service)"
check_eq "/etc/casshield is root's alone" "drwx------ root/root" "$(mode_of etc/casshield/)"
check_eq "the configuration is root's alone" "-rw------- root/root" "$(mode_of etc/casshield/casshield.yaml)"
check_eq "the configuration is a conffile" "/etc/casshield/casshield.yaml" "$(cat "$x/pkg/DEBIAN/conffiles")"
check_match "the unit runs the packaged binary" "^ExecStart=/usr/sbin/casshield run --config /etc/casshield/casshield.yaml$" "$(cat "$x/pkg/lib/systemd/system/casshield.service")"

# Dependencies computed by dpkg-shlibdeps, none listed by hand.
check_eq "debian/control lists no library by hand" 'Depends: ${misc:Depends}, ${shlibs:Depends}' "$(grep '^Depends:' debian/control)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libelf1 libmicrohttpd12 libsystemd0 libyaml-0-2 zlib1g; do
	check_match "Depends has $lib (computed)" "(^|, )$lib( \(|,|$)" "$depends"
done
check_eq "libbpf is linked in, not a dependency" "" "$(grep -o 'libbpf[^,]*' <<<"$depends")"

# The configuration as installed shields nothing; its commented example
# (every key) is a valid configuration once uncommented.
conf=$x/pkg/etc/casshield/casshield.yaml
check_eq "the installed configuration is the example" "" "$(diff scripts/config/casshield.yaml "$conf")"
out=$("$x/pkg/usr/sbin/casshield" check --config "$conf" 2>/dev/null)
check_eq "the installed configuration is valid and names no interface" "metrics: listen 127.0.0.1:9477" "$out"
{
	sed -n '/^# interfaces:/,/^$/s/^# //p' "$conf"
	sed -n '/^metrics:/,$p' "$conf"
} > "$x/example.yaml"
out=$("$x/pkg/usr/sbin/casshield" check --config "$x/example.yaml" 2>&1)
check_match "the commented example, uncommented, is valid" "^interface eth0: native mode" "$out"
check_match "the commented example has its rules" "allow 2001:db8:10::/48 name admins" "$out"

# Life cycle, as the maintainer scripts say it (the VM stage runs them).
postinst=$(cat "$x/pkg/DEBIAN/postinst")
prerm=$(cat "$x/pkg/DEBIAN/prerm")
# --no-enable: the unit is enabled again only if it was before (an upgrade).
check_match "install enables nothing" "if deb-systemd-helper debian-installed 'casshield.service'" "$postinst"
check_eq "install starts nothing" "" "$(grep -oE 'deb-systemd-invoke (start|restart)' <<<"$postinst")"
check_eq "an upgrade does not stop the service first" "" "$(dpkg-deb -I "$deb" preinst 2>/dev/null | grep -o 'deb-systemd-invoke stop')"
check_match "an upgrade restarts a running service once" "deb-systemd-invoke try-restart 'casshield.service'" "$postinst"
check_match "removal stops the service" 'deb-systemd-invoke stop casshield.service' "$prerm"
check_match "removal unloads every shield" 'casshield unload "\$iface"' "$prerm"
check_match "only removal does (not an upgrade)" '\[ "\$1" = remove \]' "$prerm"
check_match "purge removes /etc/casshield" 'rm -rf /etc/casshield' "$(cat "$x/pkg/DEBIAN/postrm")"

# lintian: no error, no warning; an override says why.
lint=$(lintian --fail-on none -I --show-overrides "build/deb/casshield_${version}_${arch}.changes" 2>&1)
check_eq "lintian: no error or warning" "" "$(grep -E '^[EW]: ' <<<"$lint")"
echo "$lint" | sed 's/^/# lintian: /'
# Each override follows a comment that says why (one comment may cover
# the overrides right after it; a blank line ends it).
check_eq "every lintian override has its reason" "" "$(awk '/^#/ { why = 1; next } /^$/ { why = 0; next } !why' debian/casshield.lintian-overrides)"
check_eq "every override is used" "" "$(grep -E 'unused-override|mismatched-override' <<<"$lint")"
check_match "the overrides are reported as such" "^O: casshield: non-standard-file-perm" "$lint"

# The build wrote nothing into the tree (nor next to it).
check_eq "no debian/changelog in the tree" no "$([ -e debian/changelog ] && echo yes || echo no)"
check_eq "no debhelper leftovers in debian/" "" "$(ls -d debian/casshield debian/.debhelper debian/files debian/debhelper-build-stamp 2>/dev/null)"
check_eq "nothing written next to the tree" "" "$(ls -d ../casshield_* ../casshield-dbgsym_* 2>/dev/null)"
tap_done
