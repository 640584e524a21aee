#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_synproxy.sh (guest) - the SYN proxy's integration suite on Debian
# 12's 6.1 kernel: XDP's SYN cookies, netfilter's SYNPROXY and real TCP,
# and the forged flood with the SYN proxy on. The comparison with rate
# limits stays on the host: under TCG hping3 is too slow to empty a
# bucket, so that half would prove nothing here. Nor can the 99 %: under
# TCG the flood (about 12k SYNs/s, answered, each SYN-ACK answered by the
# proxy's kernel with an RST) saturates the emulated CPUs, and 87 to 93 %
# of the proxy's requests succeeded in three runs (with 3 s and with 15 s
# per request), where the host's run of the same suite sees 100 %. Here
# the bar is 80 %: the SYN proxy works on 6.1 under a forged flood; the
# 99 % is the host's (tests/integration/test_synproxy.sh).
set -u
cd "$(dirname "$0")/../../.."
SYNPROXY_COMPARE=0 SYNPROXY_TIMEOUT=15 SYNPROXY_MIN_PCT=80 exec tests/integration/test_synproxy.sh
