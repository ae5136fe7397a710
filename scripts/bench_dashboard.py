"""Loads a province through the API and times the dashboard pages (see scripts/bench-dashboard)."""
import concurrent.futures
import http.cookiejar
import json
import random
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

base, key, email, password, responses = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
# RESPONSES = "demo": the data set is already loaded (`sipas demo`, tỉnh Minh Sơn); otherwise a
# number of responses this script loads through the API.
DEMO = responses == "demo"
if DEMO:
    PROVINCE, DEPT, DISTRICT, COMMUNE, FORM = "UBND.MS", "SYT.MS", "H03.MS", "X0305.MS", "sipas-2024"
else:
    PROVINCE, DEPT, DISTRICT, COMMUNE, FORM = "TINH", "SO-03", "HUYEN-2", "XA-2-05", "sipas-2017"
    responses = int(responses)
rng = random.Random(7)


def api(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {key}", "content-type": "application/json"})
    with urllib.request.urlopen(req) as res:
        return json.load(res)


def agency(code, kind, parent=None):
    body = {"code": code, "name": {"vi": f"Cơ quan {code}", "en": f"Agency {code}"}, "kind": kind}
    if parent:
        body["parent_code"] = parent
    api("POST", "/api/v1/agencies", body)


def load():
    """Loads the province through the API (when not on the demo data set)."""
    t0 = time.time()
    agency("TINH", "province")
    codes = []
    for i in range(20):
        agency(f"SO-{i:02d}", "department", "TINH")
        codes.append(f"SO-{i:02d}")
    for d in range(8):
        agency(f"HUYEN-{d}", "district", "TINH")
        codes.append(f"HUYEN-{d}")
        for c in range(11):
            agency(f"XA-{d}-{c:02d}", "commune", f"HUYEN-{d}")
            codes.append(f"XA-{d}-{c:02d}")

    form = api("GET", "/api/v1/forms/sipas-2017")
    items = [i for n in form["index"]["children"] for i in n["items"]]
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13) if (y, m) <= (2026, 11)]
    # Departments get more dossiers than communes; every agency its own satisfaction level.
    weights = {c: (8 if c.startswith("SO") else 4 if c.startswith("HUYEN") else 1) for c in codes}
    level = {c: rng.uniform(3.0, 4.6) for c in codes}
    total_w = sum(weights.values())
    dossiers, plan = [], []
    for c in codes:
        n = max(3, round(responses * weights[c] / total_w * 1.5))
        for i in range(n):
            month = months[i % len(months)]
            dossiers.append({"dossier_code": f"{c}-{i}", "agency_code": c,
                             "completed_at": f"{month}-{1 + i % 27:02d}T09:00:00+07:00",
                             "channel": ["in_person", "online", "postal"][i % 3],
                             "procedure_field": ["Đất đai", "Hộ tịch", "Xây dựng", "Đầu tư"][i % 4]})
            plan.append(c)
    tokens = []
    for k in range(0, len(dossiers), 10000):
        out = api("POST", "/api/v1/dossiers/batch", {"dossiers": dossiers[k:k + 10000]})
        tokens += [r["survey_token"] for r in out["results"]]
    chosen = rng.sample(range(len(tokens)), min(responses, len(tokens)))


    def answer(k):
        lv = level[plan[k]]
        answers = {q: max(1, min(5, round(rng.gauss(lv, 0.9)))) for q in items}
        body = {"answers": answers, "mode": ["web", "kiosk", "web"][k % 3]}
        req = urllib.request.Request(f"{base}/api/v1/surveys/{tokens[k]}/response", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(req) as res:
            return res.status


    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        stored = sum(1 for s in pool.map(answer, chosen) if s == 201)
    print(f"loaded {len(codes) + 1} agencies, {len(dossiers)} dossiers, {stored} responses in {time.time() - t0:.0f} s",
          file=sys.stderr)


if not DEMO:
    load()

# Sign in with a cookie jar.
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
form_html = opener.open(base + "/sign-in").read().decode()
csrf = re.search(r'name="csrf_token" value="([^"]+)"', form_html).group(1)
opener.open(base + "/sign-in", urllib.parse.urlencode(
    {"email": email, "password": password, "csrf_token": csrf}).encode())

def timed(fetch, path, runs):
    """Times `runs` requests of `path` through `fetch` (ms each); returns them and the last body."""
    times, body = [], b""
    for _ in range(runs):
        t = time.perf_counter()
        with fetch(path) as res:
            body = res.read()
            assert res.status == 200, (path, res.status)
        times.append((time.perf_counter() - t) * 1000)
    return times, body


def page(path):
    return opener.open(base + path)


def api_get(path):
    return urllib.request.urlopen(urllib.request.Request(base + path, headers={"Authorization": f"Bearer {key}"}))


pages = [
    ("landing (admin)", "/dashboard"),
    ("overview province (subtree mean)", f"/dashboard/agencies/{PROVINCE}?period=2026"),
    ("overview department", f"/dashboard/agencies/{DEPT}?period=2026"),
    ("overview district (subtree)", f"/dashboard/agencies/{DISTRICT}?period=2026"),
    ("overview commune", f"/dashboard/agencies/{COMMUNE}?period=2026"),
    ("items province", f"/dashboard/agencies/{PROVINCE}/items?period=2026"),
    ("items department", f"/dashboard/agencies/{DEPT}/items?period=2026"),
    ("trend province, 23 months by month", f"/dashboard/agencies/{PROVINCE}/trend?period=2025-01%2F2026-11&step=month"),
    ("trend department, by quarter", f"/dashboard/agencies/{DEPT}/trend?step=quarter"),
    ("compare province (its children)", f"/dashboard/agencies/{PROVINCE}/compare?period=2026"),
    ("compare province, subtree means", f"/dashboard/agencies/{PROVINCE}/compare?period=2026&subtree=true"),
    ("compare district (its communes)", f"/dashboard/agencies/{DISTRICT}/compare?period=2026"),
    ("breakdowns province by channel", f"/dashboard/agencies/{PROVINCE}/breakdowns?period=2026&by=channel"),
    ("breakdowns province by mode (scan)", f"/dashboard/agencies/{PROVINCE}/breakdowns?period=2026&by=mode"),
    ("breakdowns province by procedure field (scan)", f"/dashboard/agencies/{PROVINCE}/breakdowns?period=2026&by=procedure_field"),
    ("breakdowns department by mode", f"/dashboard/agencies/{DEPT}/breakdowns?period=2026&by=mode"),
    ("downloads", f"/dashboard/agencies/{DEPT}/downloads?period=2026"),
    ("PAR scores CSV (all agencies)", "/dashboard/par-scores.csv?period=2026"),
]
# The first request computes the figures ("first ms"); the next ones find them kept (results,
# trends, rankings and PAR scores are kept while no response or dossier changes them).
print(f"{'page':48} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'bytes':>8}")
for name, path in pages:
    times, body = timed(page, path, 8)
    rest = times[1:]
    print(f"{name:48} {times[0]:9.1f} {statistics.median(rest):10.1f} {max(rest):8.1f} {len(body):8d}")

# Other periods: an officer choosing another period in the selector (computed from the roll-ups
# like every page; breakdowns by mode and procedure field are kept once scanned).
print(f"{'other periods (first request, then again)':48} {'first ms':>9} {'median ms':>10}")
for period in ["2025", "2026-Q3", "2025-H2", "2026-10"]:  # last year, a quarter, a half, a month
    for name, path in [
        ("overview province", f"/dashboard/agencies/{PROVINCE}?period={period}"),
        ("items province", f"/dashboard/agencies/{PROVINCE}/items?period={period}"),
        ("compare province, subtree means", f"/dashboard/agencies/{PROVINCE}/compare?period={period}&subtree=true"),
        ("breakdowns province by channel", f"/dashboard/agencies/{PROVINCE}/breakdowns?period={period}&by=channel"),
        ("breakdowns province by mode", f"/dashboard/agencies/{PROVINCE}/breakdowns?period={period}&by=mode"),
        ("breakdowns province by procedure field", f"/dashboard/agencies/{PROVINCE}/breakdowns?period={period}&by=procedure_field"),
    ]:
        times, _ = timed(page, path, 4)
        print(f"{period + ' ' + name:48} {times[0]:9.1f} {statistics.median(times[1:]):10.1f}")
for name, path in [
    ("trend province by quarter", f"/dashboard/agencies/{PROVINCE}/trend?step=quarter"),
    ("trend province, 2025 by month", f"/dashboard/agencies/{PROVINCE}/trend?period=2025&step=month"),
]:
    times, _ = timed(page, path, 4)
    print(f"{name:48} {times[0]:9.1f} {statistics.median(times[1:]):10.1f}")

# The steady state: responses keep arriving. Before each page, one more dossier is registered
# at a commune and answered, which changes the province's views (they are computed again) and
# one commune's rows (the per-agency memo keeps every other agency's estimates).
form = api("GET", f"/api/v1/forms/{FORM}")
scales = {sc["id"]: sc for sc in form["scales"]}


def index_items(node):
    out = list(node.get("items", []))
    for child in node.get("children", []):
        out += index_items(child)
    return out


answers = {q: 4 for q in index_items(form["index"])}
for section in form["sections"]:
    for q in section["questions"]:
        if q.get("required") and q["id"] not in answers:
            answers[q["id"]] = scales[q["scale"]]["levels"][0]["value"]
serial = [0]


def one_more_response():
    serial[0] += 1
    out = api("POST", "/api/v1/dossiers/batch", {"dossiers": [{
        "dossier_code": f"bench-{time.time_ns()}-{serial[0]}", "agency_code": COMMUNE,
        "completed_at": "2026-11-20T09:00:00+07:00", "channel": "online"}]})
    token = out["results"][0]["survey_token"]
    req = urllib.request.Request(f"{base}/api/v1/surveys/{token}/response", method="POST",
                                 data=json.dumps({"answers": answers, "mode": "web"}).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as res:
        assert res.status == 201, res.status


print(f"{'after one new response (page computed again)':48} {'ms':>9}")
for name, path in pages:
    one_more_response()
    t = time.perf_counter()
    with opener.open(base + path) as res:
        res.read()
        assert res.status == 200, (path, res.status)
    print(f"{name:48} {(time.perf_counter() - t) * 1000:9.1f}")

# The API requests behind the slowest pages, for comparison (the pages add the rendering).
print(f"{'API (same figures)':48} {'first ms':>9} {'median ms':>10} {'max ms':>8} {'bytes':>8}")
for name, path in [
    ("results province subtree", f"/api/v1/results?agency={PROVINCE}&form={FORM}&period=2026&subtree=true"),
    ("results department", f"/api/v1/results?agency={DEPT}&form={FORM}&period=2026"),
    ("trend province by month", f"/api/v1/results/trend?agency={PROVINCE}&form={FORM}&from=2025-01&to=2026-11&step=month&subtree=true"),
    ("rankings province", f"/api/v1/rankings?parent={PROVINCE}&form={FORM}&period=2026"),
    ("par scores", f"/api/v1/par/scores?form={FORM}&period=2026"),
]:
    times, body = timed(api_get, path, 8)
    rest = times[1:]
    print(f"{name:48} {times[0]:9.1f} {statistics.median(rest):10.1f} {max(rest):8.1f} {len(body):8d}")
