#!/usr/bin/env python3
"""Several instances, one store, on real Spin: two `spin up` processes on two ports sharing one fresh
redis-server (through a runtime config). 1,000 concurrent submissions spread over both are each stored once
and a cursor walk alternating between them returns each exactly once; of 50 concurrent PATCHes of one demo
request with one ETag exactly one succeeds and the others get 412.

Usage: tests/spin-scale.py SPIN_BINARY (components already built by `cargo test`; REDIS_SERVER overrides
`redis-server`)."""

import concurrent.futures
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ADMIN_KEY = secrets.token_hex(32)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if body is not None:
        request.add_header("content-type", "application/json")
    request.add_header("connection", "close")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_ready(base, what):
    for _ in range(240):
        try:
            if call("GET", base + "/api/consent/config")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    sys.exit(f"spin scale: {what} did not start")


def main():
    spin = sys.argv[1]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    tmp = tempfile.mkdtemp(prefix="spin-scale-")
    redis_port = free_port()
    redis = subprocess.Popen(
        [os.environ.get("REDIS_SERVER", "redis-server"), "--port", str(redis_port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", tmp, "--loglevel", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = os.path.join(tmp, "runtime-config.toml")
    with open(config, "w") as f:
        f.write(f'[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:{redis_port}"\n')
    env = dict(os.environ)
    for name, value in {
        "SIGNING_KEY": secrets.token_hex(32), "SUPPRESSION_KEY": secrets.token_hex(32),
        "REGISTER_SIGNING_KEY": secrets.token_hex(32), "ADMIN_API_KEY": ADMIN_KEY,
        "JOBS_TOKEN": secrets.token_hex(24), "RATE_LIMIT": "100000/600", "SIGNUP_MIN_SECONDS": "0",
    }.items():
        env["SPIN_VARIABLE_" + name] = value
    spins, bases = [], []
    try:
        for i in range(2):
            port = free_port()
            log = open(os.path.join(tmp, f"spin-{i}.log"), "w")
            spins.append(subprocess.Popen(
                [spin, "up", "--listen", f"127.0.0.1:{port}", "--state-dir", os.path.join(tmp, f"state-{i}"),
                 "--runtime-config-file", config], cwd=root, env=env, stdout=log, stderr=log))
            bases.append(f"http://127.0.0.1:{port}")
        for i, base in enumerate(bases):
            wait_ready(base, f"spin {i}")
        check(bases)
    finally:
        for p in spins + [redis]:
            p.terminate()
            p.wait()


def check(bases):
    passed = 0

    def expect(condition, what):
        nonlocal passed
        if not condition:
            sys.exit(f"spin scale: FAILED after {passed} checks: {what}")
        passed += 1

    def submit(i):
        body = {"name": "Ada Lovelace", "email": f"ada{i}@example.com", "message": f"message {i}",
                "consent_policy_version": "2026-01", "consent_privacy_policy": True}
        status, _, answer = call("POST", bases[i % 2] + "/api/forms/contact", body)
        return status, answer

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(submit, range(1000)))
    statuses = [s for s, _ in answers]
    expect(statuses.count(201) == 1000, f"1,000 submissions answered {sorted(set(statuses))}")
    receipts = {json.loads(a)["id"] for _, a in answers}
    expect(len(receipts) == 1000, "1,000 distinct receipts")

    admin = {"authorization": f"Bearer {ADMIN_KEY}"}
    status, _, created = call("POST", bases[0] + "/api/v1/keys",
                              {"name": "scale", "scopes": ["leads:read", "demo-requests:write"]}, admin)
    expect(status == 201, f"an API key ({status})")
    key = {"authorization": "Bearer " + json.loads(created)["key"]}
    walked, query, page = [], "?limit=100", 0
    while True:
        status, _, body = call("GET", bases[page % 2] + "/api/v1/submissions" + query, headers=key)
        expect(status == 200, f"feed page {page} ({status})")
        body = json.loads(body)
        if not body["items"]:
            break
        walked += [item["id"] for item in body["items"]]
        query = f"?limit=100&after={body['next_cursor']}"
        page += 1
    expect(len(walked) == 1000 and set(walked) == receipts, f"the walk returned {len(walked)} items")

    status, _, demo = call("POST", bases[1] + "/api/demo",
                           {"name": "Grace Hopper", "email": "grace@navy.mil", "company": "Navy Labs",
                            "consent_policy_version": "2026-01", "consent_privacy_policy": True})
    expect(status == 201, f"a demo request ({status})")
    path = "/api/v1/demo-requests/" + json.loads(demo)["id"]
    status, headers, _ = call("GET", bases[0] + path, headers=key)
    etag = {k.lower(): v for k, v in headers.items()}["etag"]

    def patch(i):
        status, _, _ = call("PATCH", bases[i % 2] + path,
                            {"status": "contacted" if i % 2 else "scheduled"}, dict(key, **{"if-match": etag}))
        return status

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        patched = list(pool.map(patch, range(50)))
    expect(patched.count(200) == 1 and patched.count(412) == 49, f"50 PATCHes with one ETag: {patched}")
    print(f"spin scale: {passed} checks passed, 0 failed (two Spin processes, one Redis)")


if __name__ == "__main__":
    main()
