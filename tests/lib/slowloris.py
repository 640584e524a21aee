#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""slowloris.py - hostile clients for the exporter's HTTP server (stdlib only).

  slowloris.py hold HOST PORT [--conns N] [--scrapes N] [--limit S] [--wait S]
      Holds N connections from this address (half idle, half trickling an
      endless request head: a byte or a header line every 0.5-3 s), reopens
      those the server closes (at most every 0.25 s, as a patient attacker
      would), and meanwhile scrapes /metrics the way Prometheus does. Each
      scrape must answer 200 with a metrics body within the contract (1 s);
      each is given --wait seconds (3) so that a late answer is measured,
      not just failed. Exit 0 when every scrape met the contract.

  slowloris.py trickle HOST PORT [--every S] [--limit S]
      One connection trickling a header byte every S seconds: prints when
      the server closed it (exit 0), or that it was still open after
      --limit seconds (exit 1).

Every phase is bounded in time; traffic goes to HOST only (loopback in the
tests).
"""
import argparse
import errno
import random
import resource
import selectors
import socket
import sys
import threading
import time

CONTRACT_S = 1.0  # issue 12: a scrape answers within 1 s under slowloris
SCRAPE_WAIT_S = 3.0  # how long a scrape is waited for, to measure lateness (--wait)
REOPEN_EVERY_S = 0.25


def log(msg):
    print(f"slowloris: {msg}", flush=True)


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))


class Held:
    """One attacking socket: idle (sends nothing) or trickling."""

    def __init__(self, idx, trickle):
        self.idx = idx
        self.trickle = trickle
        self.sock = None
        self.next_send = 0.0
        self.sent_line = False

    def open(self, addr, sel, now):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(addr)
        if err not in (0, errno.EINPROGRESS):
            s.close()
            return False
        self.sock = s
        self.sent_line = False
        self.next_send = now + random.uniform(0.5, 3.0)
        sel.register(s, selectors.EVENT_READ, self)
        return True

    def close(self, sel):
        if self.sock:
            sel.unregister(self.sock)
            self.sock.close()
            self.sock = None

    def send_next(self, now):
        """The request line, then bytes or header lines of an endless head."""
        if not self.sent_line:
            data = b"GET /metrics HTTP/1.1\r\n"
        elif (self.idx // 2) % 2:
            data = b"X"
        else:
            data = b"X-Slow-%d: %d\r\n" % (self.idx, int(now * 1000))
        self.next_send = now + random.uniform(0.5, 3.0)
        try:
            self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            return True  # its buffer is full: the server is not reading
        except OSError as e:
            return e.errno == errno.ENOTCONN  # still connecting: later
        self.sent_line = True
        return True


def scrape(host, port):
    """One Prometheus-like scrape: (seconds, status or error, body ok)."""
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=SCRAPE_WAIT_S) as s:
            s.settimeout(max(0.01, SCRAPE_WAIT_S - (time.monotonic() - start)))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: %s:%d\r\n"
                      b"User-Agent: Prometheus/2\r\nAccept: text/plain\r\n"
                      b"Connection: close\r\n\r\n" % (host.encode(), port))
            chunks = []
            while True:
                left = SCRAPE_WAIT_S - (time.monotonic() - start)
                if left <= 0:
                    raise socket.timeout()
                s.settimeout(left)
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except socket.timeout:
        return time.monotonic() - start, f"no answer within {SCRAPE_WAIT_S:.0f} s", False
    except OSError as e:
        return time.monotonic() - start, f"error: {e.strerror or e}", False
    took = time.monotonic() - start
    reply = b"".join(chunks)
    head, _, body = reply.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "garbage"
    return took, status, b"casshield_build_info" in body


def hold(args):
    global SCRAPE_WAIT_S
    SCRAPE_WAIT_S = args.wait
    raise_nofile(args.conns + 256)
    addr = (args.host, args.port)
    sel = selectors.DefaultSelector()
    held = [Held(i, trickle=(i % 2 == 1)) for i in range(args.conns)]
    deadline = time.monotonic() + args.limit
    stop = threading.Event()
    stats = {"opened": 0, "closed_by_server": 0, "open_failed": 0}
    results = []

    def attack():
        last_reopen = 0.0
        while not stop.is_set() and time.monotonic() < deadline:
            now = time.monotonic()
            if now - last_reopen >= REOPEN_EVERY_S:
                last_reopen = now
                for h in held:
                    if h.sock is None:
                        if h.open(addr, sel, now):
                            stats["opened"] += 1
                        else:
                            stats["open_failed"] += 1
            for h in held:
                if h.sock is not None and h.trickle and now >= h.next_send:
                    if not h.send_next(now):
                        h.close(sel)
                        stats["closed_by_server"] += 1
            for key, _ in sel.select(timeout=0.05):
                h = key.data
                try:
                    data = h.sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # the server closed it (or answered, then closed)
                    h.close(sel)
                    stats["closed_by_server"] += 1

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    time.sleep(args.settle)  # let every connection reach the server
    open_now = sum(1 for h in held if h.sock is not None)
    log(f"holding {open_now} of {args.conns} connections to {args.host}:{args.port} "
        f"({args.conns // 2} idle, {args.conns - args.conns // 2} trickling)")
    for i in range(args.scrapes):
        if time.monotonic() + SCRAPE_WAIT_S > deadline:
            break
        took, status, body_ok = scrape(args.host, args.port)
        results.append((took, status, body_ok))
        log(f"scrape {i + 1}: {status}{'' if body_ok else ' (no metrics body)'} in {took * 1000:.0f} ms")
        time.sleep(1.0)
    stop.set()
    attacker.join(timeout=5)
    for h in held:
        h.close(sel)
    log(f"{stats['opened']} connections opened, {stats['closed_by_server']} closed by the server, "
        f"{stats['open_failed']} could not be opened")
    good = [r for r in results if r[1] == "200" and r[2] and r[0] <= CONTRACT_S]
    if results:
        times = sorted(r[0] * 1000 for r in results)
        log(f"scrape latency: min {times[0]:.0f} ms, max {times[-1]:.0f} ms; "
            f"{len(good)} of {len(results)} answered 200 within {CONTRACT_S:.0f} s")
    return 0 if results and len(good) == len(results) and len(results) == args.scrapes else 1


def trickle(args):
    start = time.monotonic()
    s = socket.create_connection((args.host, args.port), timeout=2)
    s.sendall(b"GET /metrics HTTP/1.1\r\n")
    s.settimeout(args.every)
    sent = 0
    while time.monotonic() - start < args.limit:
        try:
            if s.recv(4096) == b"":
                log(f"closed by the server after {time.monotonic() - start:.1f} s "
                    f"while trickling a byte every {args.every} s ({sent} bytes)")
                return 0
        except socket.timeout:
            pass
        except OSError:
            log(f"reset by the server after {time.monotonic() - start:.1f} s ({sent} bytes)")
            return 0
        try:
            s.send(b"X")
            sent += 1
        except OSError:
            log(f"closed by the server after {time.monotonic() - start:.1f} s ({sent} bytes)")
            return 0
    log(f"still open after {args.limit:.0f} s of trickling ({sent} bytes)")
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("hold")
    h.add_argument("--conns", type=int, default=1000)
    h.add_argument("--scrapes", type=int, default=6)
    h.add_argument("--settle", type=float, default=3.0)
    h.add_argument("--limit", type=float, default=30.0)
    h.add_argument("--wait", type=float, default=SCRAPE_WAIT_S)
    t = sub.add_parser("trickle")
    t.add_argument("--every", type=float, default=0.5)
    t.add_argument("--limit", type=float, default=15.0)
    for q in (h, t):
        q.add_argument("host")
        q.add_argument("port", type=int)
    args = p.parse_args()
    return {"hold": hold, "trickle": trickle}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
