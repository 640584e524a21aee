# SPDX-License-Identifier: GPL-2.0
"""eas_client.py - a scripted Exchange ActiveSync device for the CAS lab.

It speaks the protocol as a phone does: HTTPS with basic auth, the
MS-ASProtocolVersion header, a fresh DeviceId per run, WBXML bodies
(wbxml.py): OPTIONS, Provision, FolderSync, Sync (contacts and calendar),
Ping (the long poll). Python 3 standard library only.

  eas_client.py probe --url URL --sni NAME --ca CA --user U --password P
      one device once through the whole sequence; prints each exchange
  eas_client.py load --url URL --sni NAME --ca CA --users U1,U2,.. --password P
                     --rate R --heartbeat H --out FILE --ready FILE --stop FILE
      one device per user: set-up (Provision, FolderSync, first Syncs),
      then OPTIONS, FolderSync, Sync in turn at R requests/s each and a
      Ping always pending, until FILE --stop exists (or --max-seconds);
      the Pings pending then are waited for
  eas_client.py rogue --url URL --sni NAME --ca CA --user U --password P
                      [--http80 HOST] [--bind ADDR] [--options-only] [--parallel]
                      --rate R --out FILE --stop FILE
      a device that goes to the CAS itself: every attempt is a new
      connection and an OPTIONS, a Provision and a FolderSync (only the
      OPTIONS with --options-only); also plain HTTP to port 80. With
      --bind, from that source address: from the proxy's, it is what the
      proxy does when it opens a connection to the CAS. --parallel starts
      the attempts at R a second whatever the earlier ones do (each in its
      own thread), so that one waiting for its timeout delays no other

Every request is a line of JSON in --out: t (wall clock at its start),
dev, cmd, ok, http, status (the EAS status), ms, err.
"""
import argparse
import base64
import http.client
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wbxml  # noqa: E402

EAS_VERSION = "14.1"
WBXML_TYPE = "application/vnd.ms-sync.wbxml"
# FolderHierarchy types (MS-ASCMD 2.2.3.186.3): the ones the client syncs.
TYPE_INBOX, TYPE_CALENDAR, TYPE_CONTACTS = "2", "8", "9"


class Connection(http.client.HTTPSConnection):
    """HTTPS to an address, with SNI and verification for a name."""

    def __init__(self, addr, port, sni, context, timeout, bind=None):
        super().__init__(addr, port, timeout=timeout, context=context)
        self._sni = sni
        self._bind = (bind, 0) if bind else None

    def connect(self):
        sock = socket.create_connection((self.host, self.port), self.timeout, self._bind)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._sni)


class Device:
    """One ActiveSync device: its identity, its sync state, its sockets."""

    def __init__(self, args, user, log, index=0):
        self.args, self.user, self.log, self.index = args, user, log, index
        self.device_id = "CASLAB" + uuid.uuid4().hex[:20].upper()
        self.policy_key = "0"
        self.folder_key = "0"
        self.folders = {}  # ServerId -> (type, name)
        self.sync_keys = {}  # collection id -> SyncKey
        url = urllib.parse.urlsplit(args.url)
        self.addr, self.port, self.path = url.hostname, url.port or 443, url.path
        self.context = ssl.create_default_context(cafile=args.ca)
        auth = "%s:%s" % (user, args.password)
        self.auth = "Basic " + base64.b64encode(auth.encode()).decode()
        self.conns = {}

    # --- transport ---
    def _conn(self, lane, timeout):
        conn = self.conns.get(lane)
        if conn is None:
            conn = Connection(self.addr, self.port, self.args.sni, self.context, timeout,
                              getattr(self.args, "bind", None))
            self.conns[lane] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self, lane):
        conn = self.conns.pop(lane, None)
        if conn is not None:
            conn.close()

    def close(self):
        for lane in list(self.conns):
            self._drop(lane)

    def request(self, cmd, body=None, lane="main", timeout=None):
        """One exchange; returns (ok, http status, EAS status, decoded body)
        and logs it. lane: the connection it goes on (Ping has its own)."""
        timeout = timeout or self.args.timeout
        headers = {
            "Authorization": self.auth,
            "User-Agent": "casshield-lab-eas/1",
            "MS-ASProtocolVersion": EAS_VERSION,
            "X-MS-PolicyKey": self.policy_key,
        }
        if cmd == "OPTIONS":
            method, target, data = "OPTIONS", self.path, None
        else:
            method = "POST"
            target = "%s?Cmd=%s&User=%s&DeviceId=%s&DeviceType=CasLab" % (
                self.path, cmd, self.user, self.device_id)
            data = wbxml.encode(body) if body else b""
            headers["Content-Type"] = WBXML_TYPE
        started, t0 = time.time(), time.monotonic()
        http_status, status, tree, err = 0, None, None, ""
        try:
            conn = self._conn(lane, timeout)
            conn.request(method, target, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            http_status = resp.status
            if resp.getheader("Connection", "").lower() == "close":
                self._drop(lane)
            if cmd == "OPTIONS":
                versions = resp.getheader("MS-ASProtocolVersions", "")
                status = versions
                ok = http_status == 200 and EAS_VERSION in versions.split(",")
            else:
                tree = wbxml.decode(payload) if payload else None
                ok, status = self._judge(cmd, http_status, tree)
        except (OSError, http.client.HTTPException, ValueError) as e:
            self._drop(lane)
            ok, err = False, "%s: %s" % (type(e).__name__, e)
        ms = (time.monotonic() - t0) * 1000.0
        self.log.write(dict(t=round(started, 4), dev=self.index, cmd=cmd, ok=ok,
                            http=http_status, status=status, ms=round(ms, 2), err=err))
        return ok, http_status, status, tree

    @staticmethod
    def _judge(cmd, http_status, tree):
        if http_status != 200:
            return False, None
        if cmd == "Sync" and tree is None:
            return True, "nochange"  # an empty 200: nothing changed
        if tree is None:
            return False, None
        if cmd == "Sync":
            status = wbxml.text(tree, "Collections/Collection/Status") or wbxml.text(tree, "Status")
            return status == "1", status
        status = wbxml.text(tree, "Status")
        if cmd == "Ping":
            return status in ("1", "2"), status  # 1 heartbeat expired, 2 changes
        return status == "1", status

    # --- commands ---
    def options(self):
        return self.request("OPTIONS")[0]

    def provision(self):
        body = ("Provision:Provision", [("Provision:Policies", [("Provision:Policy", [
            ("Provision:PolicyType", "MS-EAS-Provisioning-WBXML")])])])
        ok, _, _, tree = self.request("Provision", body)
        if ok and tree is not None:
            self.policy_key = wbxml.text(tree, "Policies/Policy/PolicyKey", self.policy_key)
        return ok

    def folder_sync(self):
        body = ("FolderHierarchy:FolderSync", [("FolderHierarchy:SyncKey", self.folder_key)])
        ok, _, _, tree = self.request("FolderSync", body)
        if ok:
            self.folder_key = wbxml.text(tree, "SyncKey", self.folder_key)
            for add in wbxml.find(tree, "Changes/Add"):
                self.folders[wbxml.text(add, "ServerId")] = (
                    wbxml.text(add, "Type"), wbxml.text(add, "DisplayName"))
        return ok

    def folder_of(self, kind):
        return next((sid for sid, (t, _) in sorted(self.folders.items()) if t == kind), None)

    def sync(self, collection):
        key = self.sync_keys.get(collection, "0")
        coll = [("AirSync:SyncKey", key), ("AirSync:CollectionId", collection)]
        if key != "0":
            coll += [("AirSync:DeletesAsMoves", "1"), ("AirSync:GetChanges", None),
                     ("AirSync:WindowSize", "50")]
        body = ("AirSync:Sync", [("AirSync:Collections", [("AirSync:Collection", coll)])])
        ok, _, _, tree = self.request("Sync", body)
        if ok and tree is not None:
            self.sync_keys[collection] = wbxml.text(
                tree, "Collections/Collection/SyncKey", key)
        return ok

    def ping(self, heartbeat):
        folders = [("Ping:Folder", [("Ping:Id", sid), ("Ping:Class", cls)])
                   for sid, cls in self.ping_folders()]
        body = ("Ping:Ping", [("Ping:HeartbeatInterval", str(heartbeat)),
                              ("Ping:Folders", folders)])
        return self.request("Ping", body, lane="ping", timeout=heartbeat + 60)[0]

    def ping_folders(self):
        wanted = ((TYPE_INBOX, "Email"), (TYPE_CONTACTS, "Contacts"), (TYPE_CALENDAR, "Calendar"))
        return [(self.folder_of(t), cls) for t, cls in wanted if self.folder_of(t)]

    def set_up(self):
        """What a phone does when the account is added."""
        return (self.options() and self.provision() and self.folder_sync()
                and all(self.sync(c) for c in self.sync_collections()))

    def sync_collections(self):
        return [c for c in (self.folder_of(TYPE_CONTACTS), self.folder_of(TYPE_CALENDAR)) if c]


class Log:
    """Lines of JSON, from several threads, to one file (or stdout)."""

    def __init__(self, path, echo=False):
        self.lock = threading.Lock()
        self.file = open(path, "a", buffering=1) if path else sys.stdout
        self.echo = echo

    def write(self, record):
        line = json.dumps(record, sort_keys=True)
        with self.lock:
            self.file.write(line + "\n")
            if self.echo and self.file is not sys.stdout:
                print(line, flush=True)


def stopped(args, deadline):
    return (args.stop and os.path.exists(args.stop)) or time.monotonic() > deadline


def cmd_probe(args):
    log = Log(args.out, echo=True)
    dev = Device(args, args.user, log)
    ok = dev.set_up()
    if ok:
        ok = dev.folder_sync() and all(dev.sync(c) for c in dev.sync_collections())
    if ok and args.heartbeat:
        ok = dev.ping(args.heartbeat)
    dev.close()
    print(json.dumps(dict(ok=ok, device=dev.device_id, folders=len(dev.folders),
                          folder_types=sorted(t for t, _ in dev.folders.values()))))
    return 0 if ok else 1


def cmd_load(args):
    log = Log(args.out)
    deadline = time.monotonic() + args.max_seconds
    devices = [Device(args, user, log, i) for i, user in enumerate(args.users.split(","))]
    failed = [d.user for d in devices if not d.set_up()]
    if failed:
        print("eas_client: set-up failed for %s" % ",".join(failed), file=sys.stderr)
        return 1
    if args.ready:
        open(args.ready, "w").close()
        time.sleep(1)  # the caller marks the start of its phases first

    def requests_loop(dev):
        steps = [dev.options, dev.folder_sync] + [
            (lambda c=c: dev.sync(c)) for c in dev.sync_collections()]
        period, nxt, i = 1.0 / args.rate, time.monotonic(), 0
        while not stopped(args, deadline):
            steps[i % len(steps)]()
            i += 1
            nxt += period
            time.sleep(max(0.0, nxt - time.monotonic()))
            nxt = max(nxt, time.monotonic() - period)  # no burst to catch up

    def ping_loop(dev):
        while not stopped(args, deadline):
            if not dev.ping(args.heartbeat):
                time.sleep(0.5)  # a phone backs off, too

    threads = []
    for dev in devices:
        for target in (requests_loop, ping_loop):
            th = threading.Thread(target=target, args=(dev,), daemon=True)
            th.start()
            threads.append(th)
    # A Ping pending at the stop is waited for (its heartbeat and a
    # margin), so that every Ping logged has its answer.
    for th in threads:
        th.join(timeout=max(0.0, deadline - time.monotonic()) + args.heartbeat + 30)
    for dev in devices:
        dev.close()
    return 0


def http80(host, timeout):
    """Plain HTTP to port 80: (ok, http status, error)."""
    try:
        conn = http.client.HTTPConnection(host, 80, timeout=timeout)
        conn.request("GET", "/Microsoft-Server-ActiveSync")
        status = conn.getresponse().status
        conn.close()
        return True, status, ""
    except (OSError, http.client.HTTPException) as e:
        return False, 0, "%s: %s" % (type(e).__name__, e)


def cmd_rogue(args):
    log = Log(args.out)
    deadline = time.monotonic() + args.max_seconds
    period = 1.0 / args.rate
    threads = []

    def attempt():
        dev = Device(args, args.user, log)  # every attempt a new connection
        if dev.options() and not args.options_only:
            dev.provision() and dev.folder_sync()
        dev.close()

    while not stopped(args, deadline):
        t0 = time.monotonic()
        if args.parallel:
            th = threading.Thread(target=attempt, daemon=True)
            th.start()
            threads = [t for t in threads if t.is_alive()] + [th]
        else:
            attempt()
        if args.http80:
            started, t1 = time.time(), time.monotonic()
            ok, status, err = http80(args.http80, args.timeout)
            log.write(dict(t=round(started, 4), dev=0, cmd="http80", ok=ok, http=status,
                           status=None, ms=round((time.monotonic() - t1) * 1000, 2), err=err))
        time.sleep(max(0.0, period - (time.monotonic() - t0)))
    for th in threads:  # each is bounded by its timeout
        th.join()
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="verb", required=True)
    for name in ("probe", "load", "rogue"):
        s = sub.add_parser(name)
        s.add_argument("--url", required=True)
        s.add_argument("--sni", required=True)
        s.add_argument("--ca", required=True)
        s.add_argument("--password", required=True)
        s.add_argument("--timeout", type=float, default=10.0)
        s.add_argument("--out")
        s.add_argument("--stop")
        s.add_argument("--max-seconds", type=float, default=600.0)
        if name == "load":
            s.add_argument("--users", required=True)
            s.add_argument("--rate", type=float, default=1.0)
            s.add_argument("--heartbeat", type=int, default=5)
            s.add_argument("--ready")
        else:
            s.add_argument("--user", required=True)
        if name == "probe":
            s.add_argument("--heartbeat", type=int, default=0)
        if name == "rogue":
            s.add_argument("--rate", type=float, default=1.0)
            s.add_argument("--http80")
            s.add_argument("--bind")
            s.add_argument("--options-only", action="store_true")
            s.add_argument("--parallel", action="store_true")
    args = p.parse_args()
    return {"probe": cmd_probe, "load": cmd_load, "rogue": cmd_rogue}[args.verb](args)


if __name__ == "__main__":
    sys.exit(main())
