#!/usr/bin/env python3
"""Benchmark on real Spin (figures, not assertions): 100 000 contacts imported through
POST /api/v1/contacts/import in calls of 10 000. Serve the app first with SPIN_VARIABLE_ADMIN_API_KEY set:

    spin up --listen 127.0.0.1:3031 &   # the default SQLite store
    python3 tests/spin-contacts.py http://127.0.0.1:3031 "$SPIN_VARIABLE_ADMIN_API_KEY"
"""
import json, sys, time, urllib.request
base, admin = sys.argv[1], sys.argv[2]
def call(method, path, body=None, token=None, ctype="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    if token: req.add_header("Authorization", "Bearer " + token)
    if data: req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, json.loads(r.read() or b"null")
_, created = call("POST", "/api/v1/keys", {"name": "bench", "scopes": ["contacts:write"]}, admin)
key = created["key"]
total, per = 100_000, 10_000
start = time.time()
for c in range(total // per):
    rows = [{"email": f"contact{n}@example.com", "name": f"Contact {n}", "company": "Example GmbH",
             "title": "Head of Data", "country": "DE"} for n in range(c * per, (c + 1) * per)]
    body = {"source": {"name": "Hannover Messe 2026", "kind": "event", "obtained_at": "2026-11-20",
                       "public": False, "legal_basis": "legitimate_interest"}, "contacts": rows}
    t = time.time()
    status, report = call("POST", "/api/v1/contacts/import", body, key)
    assert status == 200 and report["accepted"] == per, report
    print(f"  call {c+1:>2}: {per} contacts in {time.time()-t:5.2f} s ({per/(time.time()-t):7.0f} contacts/s)")
took = time.time() - start
print(f"  all {total}: {took:.1f} s, {total/took:.0f} contacts/s on Spin")
