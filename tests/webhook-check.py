#!/usr/bin/env python3
"""Checks what the smoke run's webhook receiver got, with its own Standard Webhooks verification (HMAC-SHA256
over "{id}.{timestamp}.{body}", base64, `whsec_` secrets; not the app's code).
Usage: webhook-check.py LOG SECRET PATH_PREFIX CHECK... where CHECK is one of
  signed              every request under PATH_PREFIX carries a valid v1 signature by SECRET, dated within 5 min
  type=T              some request under PATH_PREFIX is of type T
  clean=T:needle,...  every request of type T holds none of the needles (case-insensitive)
  same-id-twice       some webhook-id under PATH_PREFIX came at least twice
  count=N             exactly N requests under PATH_PREFIX"""
import base64
import hashlib
import hmac
import json
import sys
import time

log, secret, prefix, checks = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
seen = [json.loads(line) for line in open(log, encoding="utf-8")]
seen = [r for r in seen if r["path"].startswith(prefix)]
key = base64.b64decode(secret.removeprefix("whsec_"))


def valid(r):
    h = r["headers"]
    signed = f'{h["webhook-id"]}.{h["webhook-timestamp"]}.{r["body"]}'.encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    fresh = abs(time.time() - int(h["webhook-timestamp"])) < 300
    return fresh and any(
        s.startswith("v1,") and hmac.compare_digest(s[3:], expected)
        for s in h["webhook-signature"].split(" ")
    )


def kind(r):
    return json.loads(r["body"])["type"]


for check in checks:
    name, _, arg = check.partition("=")
    if name == "signed":
        assert seen and all(valid(r) for r in seen), f"a bad signature under {prefix}"
    elif name == "type":
        assert any(kind(r) == arg for r in seen), f"no {arg} under {prefix}: {[kind(r) for r in seen]}"
    elif name == "clean":
        t, _, needles = arg.partition(":")
        for r in (r for r in seen if kind(r) == t):
            for needle in needles.split(","):
                assert needle.lower() not in r["body"].lower(), f"{t} holds {needle}: {r['body']}"
    elif name == "same-id-twice":
        ids = [r["headers"]["webhook-id"] for r in seen]
        assert any(ids.count(i) > 1 for i in ids), f"no webhook-id twice: {ids}"
    elif name == "count":
        assert len(seen) == int(arg), f"{len(seen)} requests under {prefix}, not {arg}"
    else:
        raise SystemExit(f"unknown check {check}")
