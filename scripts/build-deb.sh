#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# build-deb.sh - the Debian package (debian/, debhelper), built from a copy
# of the tree so that nothing is written into it: dpkg-buildpackage writes
# its results next to the source directory, here OUT/src.
#
#   scripts/build-deb.sh OUT [VERSION|+SUFFIX] -> OUT/casshield_VERSION_ARCH.deb
#
# The version has one home, CAS_VERSION in include/casshield.h (what
# `casshield --version` prints); debian/changelog is written from it in the
# copy. VERSION builds another version: the copy's header (and the man
# page's title line) are rewritten to say it, so the binary agrees with its
# package; +SUFFIX appends to the header's version (0.1.0+next sorts after
# 0.1.0): the VM stage's upgrade test builds its later version this way.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: build-deb.sh OUT [VERSION]}
header=$(sed -nE 's/^#define CAS_VERSION[[:space:]]+"([^"]+)"$/\1/p' include/casshield.h)
[ -n "$header" ] || { echo "build-deb: no CAS_VERSION in include/casshield.h" >&2; exit 1; }
version=${2:-$header}
[ "${version#+}" = "$version" ] || version=$header$version
case $version in
[0-9]*) ;;
*) echo "build-deb: '$version' is not a Debian version (it must start with a digit)" >&2; exit 1 ;;
esac

src=$out/src/casshield-$version
rm -rf "$out"
mkdir -p "$src"
# What git tracks or would track (.gitignore keeps build/ out), else the
# whole tree but build/: a clean clone and an edited tree build alike.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -
fi

if [ "$version" != "$header" ]; then
	sed -i -E "s/^(#define CAS_VERSION[[:space:]]+)\"[^\"]+\"$/\1\"$version\"/" "$src/include/casshield.h"
	sed -i -E "1s/\"casshield [^\"]+\"/\"casshield $version\"/" "$src/docs/casshield.8"
fi

# One entry: the package is built from this tree, whose history is git's.
# Its date is the last commit's, so two builds of one commit are alike.
maintainer=$(sed -n 's/^Maintainer: //p' debian/control)
when=$(git log -1 --format=%ct 2>/dev/null || date +%s)
cat > "$src/debian/changelog" <<EOF
casshield ($version) unstable; urgency=medium

  * Built from the casshield source tree; its git history is the
    changelog.

 -- $maintainer  $(date -u -R -d "@$when")
EOF

# The build's own make, not the one that may have called us.
unset MAKEFLAGS MFLAGS MAKELEVEL
(cd "$src" && dpkg-buildpackage --build=binary --no-sign -J"$(nproc)") > "$out/build.log" 2>&1 || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (whole log: $out/build.log)" >&2
	exit 1
}
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
rm -rf "$out/src"
ls "$out"/casshield_*.deb
