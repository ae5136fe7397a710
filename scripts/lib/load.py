#!/usr/bin/env python3
"""Load helpers for scripts/bench-submit and scripts/crash-test (Python standard library only).

  load.py register URL KEY N AGENCIES TOKENS_FILE
      creates AGENCIES agencies (BENCH01, …) through the API, registers N dossiers through
      POST /api/v1/dossiers/batch (10,000 per call) and writes one line per dossier to
      TOKENS_FILE: `token<TAB>agency code`.
  load.py bodies K
      prints the bodies of submissions 0…K-1, one a line (what the wrk script sends in turn; the
      crash client sends body(i) for token i).
  load.py submit URL TOKENS_FILE RESULTS_FILE CONNECTIONS DEADLINE_SECS
      the crash-test client: submits one response per token over CONNECTIONS keep-alive
      connections. A request whose answer is lost (the server died) is sent again with the
      identical body, as a phone would, once the server is back (until DEADLINE_SECS in all).
      Writes `index<TAB>status<TAB>receipt<TAB>attempts` per token.
  load.py verify DB TOKENS_FILE [RESULTS_FILE]
      checks through the database (sqlite3 CLI for a file path, psql for a postgres:// URL):
      responses == answered dossiers per agency; with RESULTS_FILE also that every acknowledged
      submission is stored exactly once (its own answers, told apart by the number in its
      comment) and its dossier is answered, and that every submission was acknowledged.
"""

import asyncio
import datetime as dt
import hashlib
import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHANNELS = ["in_person", "online", "postal"]
FIELDS = ["Đất đai", "Hộ tịch", "Xây dựng", "Đầu tư"]
OPTIONS_E1 = ["info_channels", "facilities", "simpler_procedures", "shorter_time", "attitude"]


def answers(i):
    """The answers of submission number i: deterministic, valid for sipas-2017, all 22
    satisfaction items answered, and a comment naming i (six digits at most, so the phone-number
    masking leaves it alone) so that a stored row can be told apart from every other."""
    rng = random.Random(i)
    a = {f"s{k}": rng.choice([2, 3, 4, 4, 5, 5]) for k in range(1, 23)}
    a.update({
        "g1": FIELDS[i % len(FIELDS)],
        "p1": rng.choice(["none", "once", "twice"]),
        "p2": rng.choice(["early", "on_time", "late"]),
        "o1": rng.choice([3, 4, 5]),
        "e1": rng.sample(OPTIONS_E1, 2),
        "d_gender": rng.choice(["male", "female"]),
        "d_age": rng.choice(["18_24", "25_34", "35_49", "50_60"]),
        "comment": f"Cán bộ nhiệt tình, chu đáo. Phiếu thử số {i % 1000000}.",
    })
    return a


def body(i):
    # A submission key of its own, as a phone's client makes once per attempt: the identical
    # body sent again after a crash is recognised as the retry it is (200, same receipt).
    return json.dumps({"answers": answers(i), "language": "vi",
                       "submission_key": f"load-attempt-{i:012d}"}, ensure_ascii=False)


def http(method, url, key=None, payload=None, timeout=600):
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("content-type", "application/json")
    if key:
        req.add_header("authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def register(base, key, n, n_agencies, out):
    codes = [f"BENCH{a + 1:02d}" for a in range(n_agencies)]
    for c in codes:
        status, got = http("POST", f"{base}/api/v1/agencies", key,
                           {"code": c, "name": {"vi": f"Cơ quan thử {c}"}, "kind": "department"})
        if status not in (201, 409):
            sys.exit(f"creating agency {c}: {status} {got}")
    completed = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).isoformat()
    started = time.monotonic()
    with open(out, "w") as f:
        for start in range(0, n, 10_000):
            items = [{
                "dossier_code": f"000.00.19.H26-{i:08d}",
                "agency_code": codes[i % n_agencies],
                "completed_at": completed,
                "channel": CHANNELS[(i // n_agencies) % 3],
                "procedure_code": "1.004227",
                "procedure_field": FIELDS[i % len(FIELDS)],
            } for i in range(start, min(n, start + 10_000))]
            status, got = http("POST", f"{base}/api/v1/dossiers/batch", key, {"dossiers": items})
            if status != 200:
                sys.exit(f"registering dossiers: {status} {got}")
            for item, r in zip(items, got["results"]):
                if r["status"] != 201:
                    sys.exit(f"dossier {item['dossier_code']}: {r}")
                f.write(f"{r['survey_url'].rsplit('/', 1)[1]}\t{item['agency_code']}\n")
    print(f"registered {n} dossiers for {n_agencies} agencies in "
          f"{time.monotonic() - started:.1f} s", file=sys.stderr)


def read_tokens(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


# ── the crash-test client ──────────────────────────────────────────────────────────────────

class Conn:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def close(self):
        if self.writer:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:
                pass
        self.reader = self.writer = None

    async def post(self, path, payload):
        """(status, body). Raises OSError / IncompleteReadError when the connection breaks."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
        self.writer.write(head.encode() + payload)
        await self.writer.drain()
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, data


async def submit(base, tokens_file, results_file, connections, deadline_secs):
    host, port = base.split("//", 1)[1].split(":")
    port = int(port)
    tokens = read_tokens(tokens_file)
    deadline = time.monotonic() + deadline_secs
    results = {}  # index -> (status, receipt)
    attempts = [0] * len(tokens)
    queue = asyncio.Queue()
    for i in range(len(tokens)):
        queue.put_nowait(i)
    broken = 0

    async def worker():
        nonlocal broken
        conn = Conn(host, port)
        while not queue.empty() and time.monotonic() < deadline:
            i = queue.get_nowait()
            payload = body(i).encode()
            path = f"/api/v1/surveys/{tokens[i][0]}/response"
            while time.monotonic() < deadline:
                if conn.writer is None:
                    try:
                        conn.reader, conn.writer = await asyncio.open_connection(host, port)
                    except OSError:
                        await asyncio.sleep(0.05)  # the server is down: nothing was sent
                        continue
                attempts[i] += 1
                try:
                    status, data = await asyncio.wait_for(conn.post(path, payload), 30)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError,
                        IndexError):
                    # Sent, but the answer was lost: the outcome is unknown (it may have been
                    # committed). Do what a phone does: send the identical body again.
                    await conn.close()
                    broken += 1
                    continue
                results[i] = (status, json.loads(data)["receipt"] if status in (200, 201) else "")
                break
        await conn.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    with open(results_file, "w") as f:
        for i in range(len(tokens)):
            status, receipt = results.get(i, (0, ""))
            f.write(f"{i}\t{status}\t{receipt}\t{attempts[i]}\n")
    statuses = {}
    for status, _ in results.values():
        statuses[status] = statuses.get(status, 0) + 1
    retried = {}
    for i, n in enumerate(attempts):
        if n > 1:
            s = results.get(i, (0, ""))[0]
            retried[s] = retried.get(s, 0) + 1
    print(f"client: {len(tokens)} submissions, {broken} answers lost to the crash; "
          f"statuses {statuses}; retried after a lost answer {retried}; "
          f"unanswered {len(tokens) - len(results)}", file=sys.stderr)


# ── verification through the database ────────────────────────────────────────────────────

def query(db, sql):
    if db.startswith("postgres"):
        cmd = ["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", db, "-c", sql]
    else:
        cmd = ["sqlite3", "-batch", "-cmd", ".timeout 10000", "-separator", "\t", db, sql]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def verify(db, tokens_file, results_file=None):
    problems = []
    per_agency = query(db, """
        select a.code,
          (select count(*) from dossiers d where d.agency_id = a.id and d.answered = true),
          (select count(*) from responses r where r.agency_id = a.id)
          + (select count(*) from pending_responses p where p.agency_id = a.id)
        from agencies a where a.code like 'BENCH%' order by a.code""")
    answered = responses = 0
    for code, d, r in per_agency:
        answered, responses = answered + int(d), responses + int(r)
        if d != r:
            problems.append(f"{code}: {d} answered dossiers but {r} responses")
    report = {"answered": answered, "responses": responses}
    if results_file:
        tokens = read_tokens(tokens_file)
        results = [line.split("\t") for line in open(results_file).read().splitlines()]
        acked = {int(i): (int(s), rc) for i, s, rc, _ in results if s in ("200", "201")}
        # The number in each stored comment says whose answers the row holds.
        seen = {}
        # Published and pending answers (an open month's wait in pending_responses).
        for (text,) in query(db, "select answers from responses union all "
                                 "select answers from pending_responses"):
            comment = json.loads(text).get("comment", "")
            n = int(comment.rsplit(" ", 1)[1].rstrip("."))
            seen[n] = seen.get(n, 0) + 1
        flagged = {h for (h,) in query(db, "select token_hash from dossiers where answered = true")}
        for i, (status, _) in acked.items():
            if seen.get(i % 1000000, 0) != 1:
                problems.append(f"submission {i} got {status} but is stored "
                                f"{seen.get(i % 1000000, 0)} times")
            if hashlib.sha256(tokens[i][0].encode()).hexdigest() not in flagged:
                problems.append(f"submission {i} got {status} but its dossier is not answered")
        twice = [n for n, c in seen.items() if c > 1]
        if twice:
            problems.append(f"{len(twice)} submissions stored more than once")
        unacked = len(tokens) - len(acked)
        if unacked:
            problems.append(f"{unacked} submissions never acknowledged")
        report.update(acknowledged=len(acked), retried=sum(1 for r in results if int(r[3]) > 1))
    return report, problems


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "register":
        register(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6])
    elif cmd == "bodies":
        for i in range(int(argv[2])):
            print(body(i))
    elif cmd == "submit":
        asyncio.run(submit(argv[2], argv[3], argv[4], int(argv[5]), float(argv[6])))
    elif cmd == "verify":
        report, problems = verify(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
        print(" ".join(f"{k}={v}" for k, v in report.items()))
        for p in problems[:20]:
            print(f"PROBLEM: {p}", file=sys.stderr)
        if problems:
            sys.exit(f"{len(problems)} problem(s)")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
