# SPDX-License-Identifier: GPL-2.0
"""connflood.py - the CAS lab's full-handshake connection flood: as many
TCP connections with a TLS handshake as CONCURRENCY tasks can open one
after the other for SECONDS seconds, each closed at once. Prints one line
of JSON: attempts, tcp (connections established), tls (handshakes done),
failed. Python 3 standard library only.

  connflood.py --addr ADDR --port 443 --seconds S [--concurrency N]
"""
import argparse
import asyncio
import json
import ssl
import time


async def worker(args, deadline, counts, context):
    while time.monotonic() < deadline:
        counts["attempts"] += 1
        writer = None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(args.addr, args.port), timeout=2)
            counts["tcp"] += 1
            await asyncio.wait_for(writer.start_tls(context, server_hostname=None), timeout=2)
            counts["tls"] += 1
        except (OSError, asyncio.TimeoutError, ssl.SSLError):
            counts["failed"] += 1
            await asyncio.sleep(0.01)
        finally:
            if writer is not None:
                writer.transport.abort()


async def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--concurrency", type=int, default=256)
    args = p.parse_args()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    counts = dict(attempts=0, tcp=0, tls=0, failed=0)
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(*(worker(args, deadline, counts, context)
                           for _ in range(args.concurrency)))
    counts["seconds"] = round(time.monotonic() - started, 2)
    print(json.dumps(counts, sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main())
