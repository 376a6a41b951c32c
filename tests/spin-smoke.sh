#!/usr/bin/env bash
# Smoke run on real Spin: serve the app from spin.toml (components already built by `cargo test`),
# then post JSON and an HTML form with curl and check the answers. Usage: tests/spin-smoke.sh SPIN_BINARY
# SPIN_UP_ARGS adds arguments to `spin up` (e.g. random instance reuse: `--max-instance-reuse-count 1..128`).
# SMOKE_KV=redis runs it on a fresh redis-server (REDIS_SERVER, else on the PATH) through a runtime config.
set -euo pipefail
spin=$1
cd "$(dirname "$0")/.."
port=${SMOKE_PORT:-3011}
base="http://127.0.0.1:$port"
tmp=$(mktemp -d)
key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
pseudonym_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

outbox_token=smoke-outbox-token
jobs_token=smoke-jobs-token
register_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
admin_key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# A webhook receiver on this machine, which the app may reach (webhook_allowed_hosts names it).
hook_port=$((port + 2000))
hook_log="$tmp/hooks.jsonl"
touch "$hook_log"
python3 tests/webhook-receiver.py "$hook_port" "$hook_log" "$tmp/recovered" &
hook_pid=$!

store_args=()
audit_store="$tmp/state/sqlite_key_value.db"
redis_pid=""
if [ "${SMOKE_KV:-sqlite}" = redis ]; then
  redis_port=$((port + 1000))
  "${REDIS_SERVER:-redis-server}" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp" --loglevel warning >"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://127.0.0.1:%s"\n' "$redis_port" >"$tmp/runtime-config.toml"
  store_args=(--runtime-config-file "$tmp/runtime-config.toml")
  audit_store="redis://127.0.0.1:$redis_port"
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
    sleep 0.1
  done
fi
launch() { # launch STATE_DIR: spin up in the background on STATE_DIR (and the store_args), waiting until it serves
  SPIN_VARIABLE_ADMIN_API_KEY=$admin_key SPIN_VARIABLE_JOBS_TOKEN=$jobs_token SPIN_VARIABLE_REGISTER_SIGNING_KEY=$register_key \
  SPIN_VARIABLE_SIGNING_KEY=$key SPIN_VARIABLE_SUPPRESSION_KEY=$pseudonym_key SPIN_VARIABLE_OUTBOX_TOKEN=$outbox_token \
    SPIN_VARIABLE_TRUSTED_PROXIES=127.0.0.1/32 SPIN_VARIABLE_WEBHOOK_ALLOWED_HOSTS="http://127.0.0.1:$hook_port" \
    SPIN_VARIABLE_MAIL_EVENTS_SECRET=smoke-mail-events-secret \
    SPIN_VARIABLE_SIGNUP_MIN_SECONDS=0 SPIN_VARIABLE_PRIVACY_MIN_SECONDS=0 "$spin" up --listen "127.0.0.1:$port" --state-dir "$1" \
    "${store_args[@]}" ${SPIN_UP_ARGS:-} >>"$tmp/spin.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    curl -s -o /dev/null "$base/api/forms/contact/token" && break
    sleep 0.5
  done
}
trap 'kill $pid $redis_pid $hook_pid 2>/dev/null || true; wait $pid $redis_pid $hook_pid 2>/dev/null || true; umount -l "$tmp/full" 2>/dev/null || true; [ -n "${SMOKE_KEEP:-}" ] || rm -rf "$tmp"; echo "$tmp"' EXIT
launch "$tmp/state"

passed=0
# field FILE NAME: a top-level string of a JSON answer.
field() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
fail() { echo "spin smoke: FAILED after $passed checks: $*"; cat "$tmp/spin.log"; exit 1; }
expect() { # expect STATUS OUTPUT_FILE CURL_ARGS...
  local want=$1 out=$2; shift 2
  local got
  got=$(curl -s -o "$out" -w '%{http_code}' "$@") || fail "curl $*"
  [ "$got" = "$want" ] || fail "expected $want, got $got for $* ($(cat "$out"))"
  passed=$((passed + 1))
}

expect 200 "$tmp/token.json" "$base/api/forms/contact/token"
token=$(sed -E 's/.*"token":"([^"]+)".*/\1/' "$tmp/token.json")

expect 201 "$tmp/json.out" -H 'content-type: application/json' \
  -d "{\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\",\"message\":\"Hello\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
  "$base/api/forms/contact"
grep -q '"id"' "$tmp/json.out" || fail "no receipt id in $(cat "$tmp/json.out")"

expect 303 "$tmp/form.out" -D "$tmp/form.headers" \
  --data-urlencode 'name=Grace Hopper' --data-urlencode 'email=grace@example.com' \
  --data-urlencode 'message=Hi' --data-urlencode 'consent_policy_version=2026-01' \
  --data-urlencode 'consent_privacy_policy=on' --data-urlencode "_token=$token" \
  "$base/api/forms/contact"
grep -qi '^location: http://127.0.0.1:3000/thanks.html' "$tmp/form.headers" || fail "no thank-you redirect"

# A webhook endpoint for every event: what follows (captures, the erasure, the contacts) reaches it when
# the scheduler runs the webhooks job below. A private address the variable does not name is refused.
expect 201 "$tmp/hook-ok.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$hook_port/ok\",\"events\":[\"*\"],\"description\":\"CRM\"}" "$base/api/v1/webhooks"
hook_secret=$(field "$tmp/hook-ok.json" secret)
expect 422 "$tmp/hook-private.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d '{"url":"https://10.0.0.5/hook","events":["*"]}' "$base/api/v1/webhooks"
grep -q '"field":"url"' "$tmp/hook-private.json" || fail "a private address is not refused by url: $(cat "$tmp/hook-private.json")"

expect 422 "$tmp/bad.out" -H 'content-type: application/json' -d '{"email":"nope","religion":"x"}' "$base/api/forms/contact"
grep -q '"religion"' "$tmp/bad.out" || fail "422 does not name the unknown field"
expect 415 "$tmp/415.out" -H 'content-type: text/plain' -d 'hi' "$base/api/forms/contact"
expect 404 "$tmp/404.out" "$base/api/forms/nope/token"

# Newsletter double opt-in, read from the outbox, confirmed, then unsubscribed by RFC 8058 one-click.
expect 201 "$tmp/signup.out" -H 'content-type: application/json' \
  -d '{"email":"ada@example.com","consent_newsletter":true,"consent_policy_version":"2026-01"}' "$base/api/newsletter"
expect 200 "$tmp/outbox.json" -H "authorization: Bearer $outbox_token" "$base/api/outbox"
confirm=$(grep -o '/api/newsletter/confirm/[A-Za-z0-9._-]*' "$tmp/outbox.json" | head -1)
unsubscribe=$(grep -o '/u/[A-Za-z0-9._-]*' "$tmp/outbox.json" | head -1)
[ -n "$confirm" ] && [ -n "$unsubscribe" ] || fail "no links in the outbox: $(cat "$tmp/outbox.json")"
expect 200 "$tmp/confirm-page.out" "$base$confirm"
expect 200 "$tmp/confirm.out" -X POST "$base$confirm"
grep -q 'Subscription confirmed' "$tmp/confirm.out" || fail "not confirmed: $(cat "$tmp/confirm.out")"
expect 200 "$tmp/unsubscribe.out" -d 'List-Unsubscribe=One-Click' "$base$unsubscribe"
expect 400 "$tmp/forged.out" -d 'List-Unsubscribe=One-Click' "$base${unsubscribe}x"
expect 201 "$tmp/dnc.out" -H 'content-type: application/json' -d '{"phone":"+31 20 123 4567"}' "$base/api/opt-out/phone"
expect 201 "$tmp/demo.out" -H 'content-type: application/json' \
  -d '{"name":"Grace","email":"grace@example.com","company":"Navy","consent_policy_version":"1","consent_privacy_policy":true}' "$base/api/demo"
expect 401 "$tmp/deliver.out" -X POST "$base/api/outbox/deliver"

# Health probes: the store answers (and takes the readiness probe's write); never cached.
expect 200 "$tmp/ready.json" -D "$tmp/ready.headers" "$base/health/ready"
grep -q '"store":"ok"' "$tmp/ready.json" || fail "not ready: $(cat "$tmp/ready.json")"
grep -qi '^cache-control: no-store' "$tmp/ready.headers" || fail "the readiness answer may be cached"
expect 200 "$tmp/live.json" "$base/health/live"

# Cookie consent: the banner's config, a decision, its receipt; the demo site and the banner script.
expect 200 "$tmp/consent-config.json" "$base/api/consent/config"
version=$(sed -E 's/.*"banner_version":"([^"]+)".*/\1/' "$tmp/consent-config.json")
hash=$(sed -E 's/.*"text_hash":"([^"]+)".*/\1/' "$tmp/consent-config.json")
expect 201 "$tmp/consent.json" -H 'content-type: application/json' \
  -d "{\"decisions\":{},\"banner_version\":\"$version\",\"text_hash\":\"$hash\",\"locale\":\"en\",\"method\":\"reject_all\"}" \
  "$base/api/consent"
consent_id=$(sed -E 's/.*"consent_id":"([^"]+)".*/\1/' "$tmp/consent.json")
expect 200 "$tmp/receipt.json" "$base/api/consent/$consent_id"
grep -q '"method":"reject_all"' "$tmp/receipt.json" || fail "receipt without the decision: $(cat "$tmp/receipt.json")"
expect 200 "$tmp/index.html" -D "$tmp/index.headers" "$base/"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$tmp/index.headers" || fail "the demo site has no CSP: $(cat "$tmp/index.headers")"
expect 200 "$tmp/consent.js" "$base/consent.js"
grep -q 'var WAIT = 500;' "$tmp/consent.js" || fail "the banner script lacks the configured Consent Mode wait"
expect 200 "$tmp/consent.css" "$base/consent.css"
# The regime follows the visitor's country (through the trusted proxy header), and is hashed.
expect 200 "$tmp/config-de.json" -H 'x-forwarded-for: 80.128.0.77' "$base/api/consent/config"
expect 200 "$tmp/config-us.json" -H 'x-forwarded-for: 8.8.8.8' "$base/api/consent/config"
[ "$(field "$tmp/config-de.json" regime)" = opt_in ] || fail "a German visitor is not opt_in"
[ "$(field "$tmp/config-us.json" regime)" = opt_out ] || fail "a US visitor is not opt_out"
[ "$(field "$tmp/config-de.json" text_hash)" != "$(field "$tmp/config-us.json" text_hash)" ] || fail "the regime is not hashed"
# A decision with Global Privacy Control: sale and sharing refused, Consent Mode told so.
expect 201 "$tmp/gpc.json" -H 'content-type: application/json' -H 'sec-gpc: 1' \
  -d "{\"decisions\":{},\"banner_version\":\"$version\",\"text_hash\":\"$hash\",\"locale\":\"en\",\"method\":\"accept_all\"}" \
  "$base/api/consent"
grep -q '"gpc_honored":true' "$tmp/gpc.json" || fail "GPC not honoured: $(cat "$tmp/gpc.json")"
grep -q '"ad_storage":"denied"' "$tmp/gpc.json" || fail "Consent Mode not told: $(cat "$tmp/gpc.json")"
gpc_id=$(field "$tmp/gpc.json" consent_id)

# Marketing API: a key, then the two submissions above through the change feed, IPs masked.
expect 201 "$tmp/key.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d '{"name":"smoke","scopes":["leads:read","consents:read","opt-outs:read","demo-requests:write"]}' "$base/api/v1/keys"
api_key=$(sed -E 's/.*"key":"([^"]+)".*/\1/' "$tmp/key.json")
expect 200 "$tmp/feed.json" -H "authorization: Bearer $api_key" "$base/api/v1/submissions?limit=10"
[ "$(grep -o '"form":"contact"' "$tmp/feed.json" | wc -l)" -eq 2 ] || fail "the feed lacks the submissions: $(cat "$tmp/feed.json")"
expect 401 "$tmp/nokey.json" "$base/api/v1/submissions"
# The whole feed streamed (limit=all), its end cursor in the headers.
expect 200 "$tmp/all.ndjson" -D "$tmp/all.headers" -H "authorization: Bearer $api_key" \
  "$base/api/v1/submissions?limit=all&format=ndjson"
[ "$(wc -l <"$tmp/all.ndjson")" -eq 2 ] || fail "the stream lacks the submissions: $(cat "$tmp/all.ndjson")"
grep -qi '^next-cursor: ' "$tmp/all.headers" || fail "no next-cursor on the stream"
expect 200 "$tmp/all.csv" -H "authorization: Bearer $api_key" -H 'accept: text/csv' "$base/api/v1/submissions?limit=all"
[ "$(wc -l <"$tmp/all.csv")" -eq 3 ] || fail "the CSV stream is not a header and two rows: $(cat "$tmp/all.csv")"
expect 200 "$tmp/consents.json" -H "authorization: Bearer $api_key" "$base/api/v1/consents"
grep -q "\"id\":\"$consent_id\"" "$tmp/consents.json" || fail "the consents feed lacks the decision"
expect 200 "$tmp/check.json" -H "authorization: Bearer $api_key" -H 'content-type: application/json' \
  -d '{"phones":["0031 20 1234567"],"emails":["nobody@example.com"]}' "$base/api/v1/opt-outs/check"
grep -q '"phones":\[{[^]]*"opted_out":true' "$tmp/check.json" || fail "the do-not-call entry was not found: $(cat "$tmp/check.json")"
# A signup carrying the GPC browser's consent id: the person is opted out of sale and sharing.
expect 201 "$tmp/gpc-signup.json" -H 'content-type: application/json' \
  -d "{\"email\":\"gpc@example.com\",\"consent_newsletter\":true,\"consent_policy_version\":\"2026-01\",\"consent_id\":\"$gpc_id\"}" "$base/api/newsletter"
expect 200 "$tmp/check-gpc.json" -H "authorization: Bearer $api_key" -H 'content-type: application/json' \
  -d '{"emails":["gpc@example.com"]}' "$base/api/v1/opt-outs/check"
grep -q '"sale_share":true' "$tmp/check-gpc.json" || fail "GPC did not reach the person: $(cat "$tmp/check-gpc.json")"
# A demo request's status under If-Match: the current ETag lands, the old one gets 412.
demo_id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' "$tmp/demo.out")
expect 200 "$tmp/demo-show.json" -D "$tmp/demo.headers" -H "authorization: Bearer $api_key" "$base/api/v1/demo-requests/$demo_id"
etag=$(grep -i '^etag:' "$tmp/demo.headers" | cut -d' ' -f2 | tr -d '\r')
expect 200 "$tmp/patch.json" -X PATCH -H "authorization: Bearer $api_key" -H "if-match: $etag" \
  -H 'content-type: application/json' -d '{"status":"contacted"}' "$base/api/v1/demo-requests/$demo_id"
expect 412 "$tmp/stale.json" -X PATCH -H "authorization: Bearer $api_key" -H "if-match: $etag" \
  -H 'content-type: application/json' -d '{"status":"done"}' "$base/api/v1/demo-requests/$demo_id"
expect 200 "$tmp/openapi.json" "$base/api/v1/openapi.json"

# Privacy centre: the page, then one access and one erasure journey (ask, verify by the mailed link,
# approve under If-Match, the package / the tombstone).
expect 200 "$tmp/privacy.html" -H 'accept-language: de' "$base/privacy"
grep -q '<html lang=de>' "$tmp/privacy.html" || fail "the privacy page is not in German"
expect 201 "$tmp/officer.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d '{"name":"privacy officer","scopes":["privacy:read","privacy:write"]}' "$base/api/v1/keys"
officer=$(sed -E 's/.*"key":"([^"]+)".*/\1/' "$tmp/officer.json")
verified() { # verified EMAIL RIGHT: asks and verifies by the mailed link; the request's id in $id
  expect 202 "$tmp/ask.json" -H 'content-type: application/json' \
    -d "{\"email\":\"$1\",\"rights\":[\"$2\"]}" "$base/api/privacy/requests"
  grep -q '"check_your_email"' "$tmp/ask.json" || fail "unexpected answer: $(cat "$tmp/ask.json")"
  expect 200 "$tmp/outbox-privacy.json" -H "authorization: Bearer $outbox_token" "$base/api/outbox"
  local verify
  verify=$(grep -o '/privacy/verify/[A-Za-z0-9._-]*' "$tmp/outbox-privacy.json" | tail -1)
  [ -n "$verify" ] || fail "no verification link in the outbox"
  expect 200 "$tmp/verify-page.html" "$base$verify"
  grep -q 'Confirm my request' "$tmp/verify-page.html" || fail "no confirmation button"
  expect 200 "$tmp/verified.html" -X POST "$base$verify"
  grep -q 'Request confirmed' "$tmp/verified.html" || fail "not verified: $(cat "$tmp/verified.html")"
  expect 200 "$tmp/requests.json" -H "authorization: Bearer $officer" "$base/api/v1/privacy-requests?status=open"
  id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' "$tmp/requests.json")
}
journey() { # journey EMAIL RIGHT: asks, verifies, approves; leaves the approved request in $tmp/approved.json
  verified "$1" "$2"
  local etag
  expect 200 "$tmp/request.json" -D "$tmp/request.headers" -H "authorization: Bearer $officer" "$base/api/v1/privacy-requests/$id"
  etag=$(grep -i '^etag:' "$tmp/request.headers" | cut -d' ' -f2 | tr -d '\r')
  expect 200 "$tmp/approved.json" -X PATCH -H "authorization: Bearer $officer" -H "if-match: $etag" \
    -H 'content-type: application/json' -d '{"action":"approve"}' "$base/api/v1/privacy-requests/$id"
  grep -q '"status":"completed"' "$tmp/approved.json" || fail "not completed: $(cat "$tmp/approved.json")"
  expect 412 "$tmp/stale-request.json" -X PATCH -H "authorization: Bearer $officer" -H "if-match: $etag" \
    -H 'content-type: application/json' -d '{"action":"deny","reason":"excessive"}' "$base/api/v1/privacy-requests/$id"
}
journey grace@example.com access
expect 200 "$tmp/outbox-done.json" -H "authorization: Bearer $outbox_token" "$base/api/outbox"
download=$(grep -o '/privacy/download/[A-Za-z0-9._-]*' "$tmp/outbox-done.json" | tail -1)
[ -n "$download" ] || fail "no download link in the outbox"
expect 200 "$tmp/package.json" -H 'accept: application/json' "$base$download"
grep -q '"demo_requests":\[{' "$tmp/package.json" && grep -q '"submissions":\[{' "$tmp/package.json" \
  || fail "the package lacks grace's records: $(cat "$tmp/package.json")"
expect 200 "$tmp/package.html" "$base$download"
journey ada@example.com erasure

# The privacy desk: sign in with the officer's key (a session cookie, never the key), the queue, one
# request, a post without its CSRF token refused, the approval as a form post from a no-referrer page
# (Origin: null, Sec-Fetch-Site: same-origin), the stale page's 412, sign-out.
verified linus@example.com access
desk_id=$id
jar="$tmp/desk.cookies"
expect 200 "$tmp/desk-signin.html" "$base/desk"
grep -q 'name=key type=password' "$tmp/desk-signin.html" || fail "the desk without a session is not the sign-in page"
expect 303 "$tmp/desk-in.txt" -D "$tmp/desk-in.headers" -c "$jar" -H "origin: $base" --data-urlencode "key=$officer" "$base/desk/sign-in"
grep -qi '^set-cookie: desk_session=.*HttpOnly; SameSite=Strict' "$tmp/desk-in.headers" || fail "no session cookie: $(cat "$tmp/desk-in.headers")"
grep -qi '^set-cookie:.*Secure' "$tmp/desk-in.headers" && fail "a Secure cookie on plain http 127.0.0.1"
# The cookie's sealed payload (kid.payload.signature, base64url) names the key's id, never its secret.
python3 - "$jar" "$officer" <<'PY' || fail "the session cookie holds the key"
import base64, sys
value = [l.split("\t")[6].strip() for l in open(sys.argv[1]) if "desk_session" in l][0]
payload = value.split(".")[1]
text = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
key = sys.argv[2]
sys.exit(0 if key[4:26] in text and key[27:] not in text else 1)
PY
expect 200 "$tmp/desk-queue.html" -D "$tmp/desk-queue.headers" -b "$jar" "$base/desk"
grep -q "/desk/requests/$desk_id" "$tmp/desk-queue.html" || fail "the queue lacks the request"
grep -qi '^cache-control: no-store' "$tmp/desk-queue.headers" && grep -qi "^content-security-policy: default-src 'none'" "$tmp/desk-queue.headers" \
  || fail "the queue's headers: $(cat "$tmp/desk-queue.headers")"
expect 200 "$tmp/desk-request.html" -b "$jar" "$base/desk/requests/$desk_id"
csrf=$(grep -o 'name=csrf value="[^"]*"' "$tmp/desk-request.html" | head -1 | sed -E 's/.*value="([^"]*)"/\1/')
desk_etag=$(grep -o 'name=etag value="[^"]*"' "$tmp/desk-request.html" | head -1 | sed -E 's/.*value="([^"]*)"/\1/; s/&quot;/"/g')
[ -n "$csrf" ] && [ -n "$desk_etag" ] || fail "the request page lacks its forms"
expect 403 "$tmp/desk-nocsrf.html" -b "$jar" -H "origin: $base" --data-urlencode "etag=$desk_etag" -d action=approve "$base/desk/requests/$desk_id"
expect 303 "$tmp/desk-approve.txt" -b "$jar" -H 'origin: null' -H 'sec-fetch-site: same-origin' \
  --data-urlencode "csrf=$csrf" --data-urlencode "etag=$desk_etag" -d action=approve "$base/desk/requests/$desk_id"
expect 412 "$tmp/desk-stale.html" -b "$jar" -H "origin: $base" --data-urlencode "csrf=$csrf" \
  --data-urlencode "etag=$desk_etag" -d action=deny -d reason=excessive "$base/desk/requests/$desk_id"
grep -q 'This request changed since you opened it' "$tmp/desk-stale.html" || fail "the stale page is not told"
expect 200 "$tmp/desk-done.json" -H "authorization: Bearer $officer" "$base/api/v1/privacy-requests/$desk_id"
grep -q '"status":"completed"' "$tmp/desk-done.json" || fail "the desk's approval did not land: $(cat "$tmp/desk-done.json")"
expect 303 "$tmp/desk-out.txt" -b "$jar" -H "origin: $base" --data-urlencode "csrf=$csrf" "$base/desk/sign-out"
expect 200 "$tmp/desk-after.html" -b "$jar" "$base/desk"
grep -q 'name=key type=password' "$tmp/desk-after.html" || fail "still signed in after signing out"
grep -q '"erased":\[' "$tmp/approved.json" || fail "nothing erased: $(cat "$tmp/approved.json")"
expect 200 "$tmp/after.json" -H "authorization: Bearer $api_key" "$base/api/v1/submissions?limit=10"
grep -q '"deleted":true' "$tmp/after.json" || fail "no tombstone for ada's submission: $(cat "$tmp/after.json")"
[ "$(grep -o '"form":"contact"' "$tmp/after.json" | wc -l)" -eq 1 ] || fail "ada's submission is still in the feed"

# Contacts from other sources: an import of three, one on the do-not-contact registry (ada unsubscribed
# and was erased above); the notices job queues a German and a Dutch notice naming the source and none
# for ada; the objection link's GET changes nothing, its POST puts the address on the registry and the
# contact comes back as a tombstone. A newsletter signup in German gets its confirmation in German.
expect 201 "$tmp/importer.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d '{"name":"importer","scopes":["contacts:write","contacts:read","opt-outs:read"]}' "$base/api/v1/keys"
importer=$(sed -E 's/.*"key":"([^"]+)".*/\1/' "$tmp/importer.json")
expect 200 "$tmp/import.json" -H "authorization: Bearer $importer" -H 'content-type: application/json' \
  -d '{"source":{"name":"Hannover Messe 2026","kind":"event","obtained_at":"2026-11-20","public":false,"legal_basis":"legitimate_interest"},
       "contacts":[{"email":"anna@example.de","name":"Anna Schmidt","country":"DE"},{"email":"joost@example.nl","language":"nl"},{"email":"ada@example.com"}]}' \
  "$base/api/v1/contacts/import"
grep -q '"accepted":2' "$tmp/import.json" && grep -q '"suppressed":1' "$tmp/import.json" \
  || fail "the import did not suppress ada: $(cat "$tmp/import.json")"
expect 200 "$tmp/notices-job.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=notices"
grep -q '"queued":2' "$tmp/notices-job.json" || fail "not two notices: $(cat "$tmp/notices-job.json")"
expect 200 "$tmp/outbox-notices.json" -H "authorization: Bearer $outbox_token" "$base/api/outbox?limit=500"
python3 - "$tmp/outbox-notices.json" <<'PY' || fail "the notices are not as expected: $(cat "$tmp/outbox-notices.json")"
import json, sys
items = json.load(open(sys.argv[1]))
items = items["pending"]
def text(m):
    return json.dumps(m, ensure_ascii=False)
by_to = {}
for m in items:
    msg = m.get("message", m)
    by_to.setdefault(msg.get("to"), []).append(text(m))
anna = " ".join(by_to.get("anna@example.de", []))
joost = " ".join(by_to.get("joost@example.nl", []))
assert "WIDERSPRUCH" in anna and "Hannover Messe 2026" in anna, anna[:300]
assert "BEZWAAR" in joost and "Hannover Messe 2026" in joost, joost[:300]
assert not any("Hannover" in t for t in by_to.get("ada@example.com", []))
PY
passed=$((passed + 1))
object=$(grep -o '/privacy/object/[A-Za-z0-9._-]*' "$tmp/outbox-notices.json" | head -1)
[ -n "$object" ] || fail "no objection link in the notices"
expect 200 "$tmp/contacts-before.json" -H "authorization: Bearer $importer" "$base/api/v1/contacts"
[ "$(grep -o '"notice":' "$tmp/contacts-before.json" | wc -l)" -eq 2 ] || fail "the contacts feed lacks the two: $(cat "$tmp/contacts-before.json")"
cursor=$(sed -E 's/.*"next_cursor":"([0-9]+)".*/\1/' "$tmp/contacts-before.json")
expect 200 "$tmp/object.html" "$base$object"
grep -q 'lang=' "$tmp/object.html" || fail "the objection page has no language"
expect 200 "$tmp/contacts-unchanged.json" -H "authorization: Bearer $importer" "$base/api/v1/contacts?after=$cursor"
grep -q '"items":\[\]' "$tmp/contacts-unchanged.json" || fail "a GET of the objection page changed something: $(cat "$tmp/contacts-unchanged.json")"
expect 200 "$tmp/objected.html" -X POST "$base$object"
expect 200 "$tmp/object-check.json" -H "authorization: Bearer $importer" -H 'content-type: application/json' \
  -d '{"emails":["anna@example.de","joost@example.nl"]}' "$base/api/v1/opt-outs/check"
[ "$(grep -o '"opted_out":true' "$tmp/object-check.json" | wc -l)" -eq 1 ] || fail "the objection is not on the registry: $(cat "$tmp/object-check.json")"
expect 200 "$tmp/contacts-after.json" -H "authorization: Bearer $importer" "$base/api/v1/contacts?after=$cursor"
grep -q '"deleted":true' "$tmp/contacts-after.json" || fail "no tombstone after the objection: $(cat "$tmp/contacts-after.json")"
expect 201 "$tmp/signup-de.out" -H 'content-type: application/json' \
  -d '{"email":"lena@example.de","language":"de","consent_newsletter":true,"consent_policy_version":"2026-01"}' "$base/api/newsletter"
expect 200 "$tmp/outbox-de.json" -H "authorization: Bearer $outbox_token" "$base/api/outbox?limit=500"
grep -q 'Bitte bestätigen Sie Ihre Newsletter-Anmeldung' "$tmp/outbox-de.json" || fail "the confirmation is not in German"

# The scheduler: every job runs and reports; then the register: checkpoint, a tile, and the auditor.
expect 200 "$tmp/jobs.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run"
for job in notices outbox webhooks people privacy register; do
  grep -q "\"$job\":{[^}]*\"ran\":true" "$tmp/jobs.json" || fail "job $job did not run: $(cat "$tmp/jobs.json")"
done
expect 401 "$tmp/jobs-401.json" -X POST "$base/api/jobs/run"
expect 201 "$tmp/auditor.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d '{"name":"auditor","scopes":["register:read"]}' "$base/api/v1/keys"
auditor=$(sed -E 's/.*"key":"([^"]+)".*/\1/' "$tmp/auditor.json")
expect 200 "$tmp/checkpoint.txt" -H "authorization: Bearer $auditor" "$base/api/v1/register/checkpoint"
size=$(sed -n 2p "$tmp/checkpoint.txt")
[ "${size:-0}" -gt 0 ] || fail "an empty register after the jobs ran: $(cat "$tmp/checkpoint.txt")"
expect 200 "$tmp/tile0" -H "authorization: Bearer $auditor" "$base/api/v1/register/tile/0/000.p/$((size < 256 ? size : 255))"
expect 200 "$tmp/verifier.txt" -H "authorization: Bearer $auditor" "$base/api/v1/register/key"
expect 200 "$tmp/bundle" -H "authorization: Bearer $auditor" "$base/api/v1/register/tile/entries/000.p/$((size < 256 ? size : 255))"
grep -aq 'Hannover Messe 2026' "$tmp/bundle" || fail "the register lacks the import"
! grep -aq 'anna@example.de' "$tmp/bundle" || fail "the register holds a contact's address"
passed=$((passed + 1))
cargo run -q -p audit -- --url "$base" --key "$(cat "$tmp/verifier.txt")" --token "$auditor" \
  --state "$tmp/audit-state.json" --store "$audit_store" >"$tmp/audit.out" 2>&1 \
  || fail "the auditor found problems: $(cat "$tmp/audit.out")"
passed=$((passed + 1))

# Webhooks: the receiver got the captures and the erasure, signed (checked in Python, not with the app's
# code), person.erased without an address, name or phone. A receiver answering 500 shows in the delivery
# log; once it recovers, a replay delivers the event with the same webhook-id. One answering 410 is disabled.
expect 201 "$tmp/hook-fail.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$hook_port/fail\",\"events\":[\"submission.created\"]}" "$base/api/v1/webhooks"
fail_id=$(field "$tmp/hook-fail.json" id)
fail_secret=$(field "$tmp/hook-fail.json" secret)
expect 201 "$tmp/hook-gone.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d "{\"url\":\"http://127.0.0.1:$hook_port/gone\",\"events\":[\"*\"]}" "$base/api/v1/webhooks"
gone_id=$(field "$tmp/hook-gone.json" id)
# A person's post: a fresh render token, used once, after the form's 3 s (else it is spam: no event).
expect 200 "$tmp/token2.json" "$base/api/forms/contact/token"
hook_token=$(field "$tmp/token2.json" token)
sleep 3
expect 201 "$tmp/hook-form.out" -H 'content-type: application/json' \
  -d "{\"name\":\"Linus\",\"email\":\"linus@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$hook_token\"}" \
  "$base/api/forms/contact"
expect 200 "$tmp/hooks-run.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=webhooks"
expect 200 "$tmp/hook-deliveries.json" -H "authorization: Bearer $admin_key" "$base/api/v1/webhooks/$fail_id/deliveries"
grep -q '"status":500' "$tmp/hook-deliveries.json" || fail "no failed attempt in the delivery log: $(cat "$tmp/hook-deliveries.json")"
event_id=$(sed -E 's/.*"webhook_id":"([^"]+)".*/\1/' "$tmp/hook-deliveries.json")
expect 200 "$tmp/hook-gone-now.json" -H "authorization: Bearer $admin_key" "$base/api/v1/webhooks/$gone_id"
grep -q '"status":"disabled"' "$tmp/hook-gone-now.json" || fail "a 410 did not disable: $(cat "$tmp/hook-gone-now.json")"
touch "$tmp/recovered"
expect 202 "$tmp/hook-replay.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
  -d "{\"event_id\":\"$event_id\"}" "$base/api/v1/webhooks/$fail_id/replay"
expect 200 "$tmp/hooks-run2.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=webhooks"
python3 tests/webhook-check.py "$hook_log" "$fail_secret" /fail signed same-id-twice \
  || fail "the replay did not deliver the same webhook-id: $(grep /fail "$hook_log" | head -c 2000)"
passed=$((passed + 1))
python3 tests/webhook-check.py "$hook_log" "$hook_secret" /ok signed type=submission.created type=person.erased \
  type=contact.imported type=contact.objected "clean=person.erased:ada@example.com,lovelace,4930123456789" \
  || fail "the webhook receiver's requests: $(head -c 3000 "$hook_log")"
passed=$((passed + 1))

# Bounces: Postmark's hard bounce (basic auth) puts the address on the registry as undeliverable.
expect 401 "$tmp/bounce-401.json" -H 'content-type: application/json' -d '{"RecordType":"Bounce","Type":"HardBounce","Email":"linus@example.com"}' "$base/api/mail/events"
expect 200 "$tmp/bounce.json" -u postmark:smoke-mail-events-secret -H 'content-type: application/json' \
  -d '{"RecordType":"Bounce","Type":"HardBounce","Email":"linus@example.com","MessageID":"elsewhere"}' "$base/api/mail/events"
expect 200 "$tmp/bounce-check.json" -H "authorization: Bearer $importer" -H 'content-type: application/json' \
  -d '{"emails":["linus@example.com"]}' "$base/api/v1/opt-outs/check"
grep -q '"reason":"hard_bounce"' "$tmp/bounce-check.json" || fail "the bounce is not on the registry: $(cat "$tmp/bounce-check.json")"

# Group commit under load: 200 posts at once, 16 at a time, each from its own forwarded address, are
# each answered 201 and each in the feed exactly once.
burst() { # burst N: post contact form N from forwarded address 10.9.x.y
  curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' \
    -H "x-forwarded-for: 10.9.$(($1 / 250)).$(($1 % 250))" \
    -d "{\"name\":\"Burst\",\"email\":\"burst$1@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
    "$base/api/forms/contact"
}
export -f burst
export base token
seq 1 200 | xargs -P 16 -I{} bash -c 'burst {}' >"$tmp/burst.codes"
[ "$(grep -c '^201$' "$tmp/burst.codes")" -eq 200 ] || fail "burst: $(sort "$tmp/burst.codes" | uniq -c | tr '\n' ' ')"
passed=$((passed + 1))
expect 200 "$tmp/burst.ndjson" -H "authorization: Bearer $api_key" "$base/api/v1/submissions?limit=all&format=ndjson"
[ "$(grep -o '"email":"burst[0-9]*@example.com"' "$tmp/burst.ndjson" | sort -u | wc -l)" -eq 200 ] \
  && [ "$(grep -c '"email":"burst[0-9]*@example.com"' "$tmp/burst.ndjson")" -eq 200 ] \
  || fail "burst: not each of the 200 posts exactly once in the feed"

# Crash safety: `spin up` killed with SIGKILL in the middle of a 200-post burst, then started again on
# the same store. Every post answered 201 is in the feed exactly once (the writes cut off leave pending
# entries or holes, which readers pass once they are older than the grace period), no post is there
# twice, and the auditor, with the store, finds nothing wrong.
crash_post() { # crash_post N: posts form N from forwarded address 10.8.x.y; prints "N STATUS"; post 80 kills Spin first
  # `spin up` serves from a child process (`spin trigger http`): the crash takes both.
  [ "$1" != 80 ] || kill -9 $(pgrep -P "$spin_pid") "$spin_pid"
  echo "$1 $(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -H "x-forwarded-for: 10.8.$(($1 / 250)).$(($1 % 250))" \
    -d "{\"name\":\"Crash\",\"email\":\"crash$1@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
    "$base/api/forms/contact")"
}
export -f crash_post
export spin_pid=$pid
seq 1 200 | xargs -P 16 -I{} bash -c 'crash_post {}' >"$tmp/crash.codes" || true
wait "$pid" 2>/dev/null || true
acked=$(grep -c ' 201$' "$tmp/crash.codes" || true)
[ "$acked" -lt 200 ] || fail "crash: every post was answered although Spin was killed"
launch "$tmp/state"
sleep 62
expect 200 "$tmp/crash.ndjson" -H "authorization: Bearer $api_key" "$base/api/v1/submissions?limit=all&format=ndjson"
python3 - "$tmp/crash.codes" "$tmp/crash.ndjson" <<'PY' || fail "crash: $(sort -k2 "$tmp/crash.codes" | awk '{print $2}' | uniq -c | tr '\n' ' ')"
import collections, json, re, sys
acked = {int(n) for n, code in (line.split() for line in open(sys.argv[1])) if code == "201"}
seen = collections.Counter(int(m) for m in re.findall(r'"email":"crash(\d+)@example.com"', open(sys.argv[2]).read()))
missing = sorted(n for n in acked if seen[n] == 0)
twice = sorted(n for n, c in seen.items() if c > 1)
assert not missing and not twice, f"acknowledged but missing: {missing}; twice: {twice}"
print(f"crash: {len(acked)} acknowledged, all in the feed once; {len(seen) - len(acked)} unacknowledged posts landed")
PY
passed=$((passed + 1))
expect 200 "$tmp/jobs-crash.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=register"
cargo run -q -p audit -- --url "$base" --key "$(cat "$tmp/verifier.txt")" --token "$auditor" \
  --state "$tmp/audit-state.json" --store "$audit_store" >"$tmp/audit-crash.out" 2>&1 \
  || fail "the auditor after the crash: $(cat "$tmp/audit-crash.out")"
passed=$((passed + 1))

# Backups that keep erasures erased: a backup while Spin runs and the register mirrored; then an erasure
# through the privacy centre and an unsubscribe; Spin stopped, the backup restored into an empty store
# with the mirror, Spin started on it: neither comes back, the rest is there, and the auditor that
# trusted the lost store's checkpoint passes.
expect 200 "$tmp/jobs-before-backup.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=register"
cargo run -q -p host --bin backup -- --from "$audit_store" --to "$tmp/nightly.backup" >"$tmp/backup.out" 2>&1 \
  || fail "backup: $(cat "$tmp/backup.out")"
cargo run -q -p audit -- mirror --url "$base" --token "$auditor" --to "$tmp/mirror" >"$tmp/mirror.out" 2>&1 \
  || fail "mirror: $(cat "$tmp/mirror.out")"
passed=$((passed + 1))
journey burst7@example.com erasure
unsubscribe=$(python3 - "$tmp/outbox-de.json" <<'PY'
import json, re, sys
for message in json.load(open(sys.argv[1]))["pending"]:
    if "lena@example.de" in json.dumps(message):
        found = re.search(r"/u/[A-Za-z0-9._-]+", json.dumps(message))
        if found:
            print(found.group(0))
            break
PY
)
[ -n "$unsubscribe" ] || fail "no unsubscribe link for lena in the outbox"
expect 200 "$tmp/unsubscribed.html" -X POST "$base$unsubscribe"
expect 200 "$tmp/jobs-after.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=register"
cargo run -q -p audit -- mirror --url "$base" --token "$auditor" --to "$tmp/mirror" >"$tmp/mirror.out" 2>&1 \
  || fail "mirror: $(cat "$tmp/mirror.out")"
cargo run -q -p audit -- --url "$base" --key "$(cat "$tmp/verifier.txt")" --token "$auditor" \
  --state "$tmp/audit-state.json" >"$tmp/audit-before-loss.out" 2>&1 \
  || fail "the auditor before the loss: $(cat "$tmp/audit-before-loss.out")"
kill "$pid"; wait "$pid" 2>/dev/null || true
if [ "${SMOKE_KV:-sqlite}" = redis ]; then
  restored="redis://127.0.0.1:$redis_port/1"
  printf '[key_value_store.default]\ntype = "redis"\nurl = "%s"\n' "$restored" >"$tmp/runtime-config.toml"
else
  restored="$tmp/restored-state/sqlite_key_value.db"
fi
restored_dir="$tmp/restored-state"
cargo run -q -p host --bin restore -- --from "$tmp/nightly.backup" --mirror "$tmp/mirror" --to "$restored" \
  >"$tmp/restore.out" 2>&1 || fail "restore: $(cat "$tmp/restore.out")"
grep -q 'records erased' "$tmp/restore.out" || fail "restore: $(cat "$tmp/restore.out")"
launch "$tmp/restored-state"
expect 200 "$tmp/restored-check.json" -H "authorization: Bearer $importer" -H 'content-type: application/json' \
  -d '{"emails":["burst7@example.com","lena@example.de","burst8@example.com"]}' "$base/api/v1/opt-outs/check"
python3 - "$tmp/restored-check.json" <<'PY' || fail "after the restore: $(cat "$tmp/restored-check.json")"
import json, sys
answer = {r["input"]: r for r in json.load(open(sys.argv[1]))["emails"]}
assert answer["burst7@example.com"]["opted_out"] and answer["burst7@example.com"]["reason"] == "erasure", answer
assert answer["lena@example.de"]["opted_out"] and answer["lena@example.de"]["reason"] == "unsubscribe_link", answer
assert not answer["burst8@example.com"]["opted_out"], answer
PY
expect 200 "$tmp/restored.ndjson" -H "authorization: Bearer $api_key" "$base/api/v1/submissions?limit=all&format=ndjson"
! grep -q 'burst7@example.com' "$tmp/restored.ndjson" || fail "the erased person's submission came back"
grep -q '"email":"burst8@example.com"' "$tmp/restored.ndjson" || fail "a submission from before the backup is missing"
passed=$((passed + 1))
expect 200 "$tmp/jobs-restored.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=register"
restored_store="$restored"
cargo run -q -p audit -- --url "$base" --key "$(cat "$tmp/verifier.txt")" --token "$auditor" \
  --state "$tmp/audit-state.json" --store "$restored_store" >"$tmp/audit-restored.out" 2>&1 \
  || fail "the auditor after the restore: $(cat "$tmp/audit-restored.out")"
passed=$((passed + 1))

# A register run killed: 200 more posts to seal, Spin killed with SIGKILL 80 ms into the run, started
# again on the same store. A run killed midway holds the job's lease until it lapses (5 to 10 minutes:
# the next run is refused, and then does the work; the test host's crash test moves its clock to see
# it), and the register stays as it was: the auditor, with the store, finds nothing wrong.
for n in $(seq 1 200); do echo "$n"; done | xargs -P 16 -I{} curl -s -o /dev/null -H 'content-type: application/json' \
  -H "x-forwarded-for: 10.7.0.{}" -d "{\"name\":\"Seal\",\"email\":\"seal{}@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
  "$base/api/forms/contact"
curl -s -o /dev/null -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=register" &
sleep 0.08
kill -9 $(pgrep -P "$pid") "$pid"; wait "$pid" 2>/dev/null || true
launch "$restored_dir"
expect 200 "$tmp/jobs-killed.json" -X POST -H "authorization: Bearer $jobs_token" "$base/api/jobs/run?only=register"
if grep -q '"register":{[^}]*"ran":true' "$tmp/jobs-killed.json"; then
  echo "register kill: the killed run had not taken its lease or had finished; this run sealed"
else
  echo "register kill: killed mid-run, its lease holds: $(cat "$tmp/jobs-killed.json")"
fi
cargo run -q -p audit -- --url "$base" --key "$(cat "$tmp/verifier.txt")" --token "$auditor" \
  --state "$tmp/audit-state.json" --store "$restored_store" >"$tmp/audit-killed.out" 2>&1 \
  || fail "the auditor after a killed register run: $(cat "$tmp/audit-killed.out")"
passed=$((passed + 1))

# A full disk (SQLite: the state dir on a 8 MB tmpfs, filled): posts answer 503 with nothing stored,
# readiness fails, and once space returns Spin serves again without a restart.
if [ "${SMOKE_KV:-sqlite}" = sqlite ]; then
  kill "$pid"; wait "$pid" 2>/dev/null || true
  mkdir -p "$tmp/full"
  if mount -t tmpfs -o size=8m tmpfs "$tmp/full" 2>/dev/null; then
    launch "$tmp/full"
    expect 201 "$tmp/full-before.json" -H 'content-type: application/json' -H "x-forwarded-for: 10.6.0.1" \
      -d "{\"name\":\"Full\",\"email\":\"before-full@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
      "$base/api/forms/contact"
    dd if=/dev/zero of="$tmp/full/filler" bs=64k >/dev/null 2>&1 || true
    dd if=/dev/zero of="$tmp/full/filler-tail" bs=1 >/dev/null 2>&1 || true
    codes=""
    for n in $(seq 2 11); do
      codes="$codes $(curl -s -o "$tmp/full-$n.json" -w '%{http_code}' -H 'content-type: application/json' -H "x-forwarded-for: 10.6.0.$n" \
        -d "{\"name\":\"Full\",\"email\":\"full$n@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
        "$base/api/forms/contact")"
    done
    echo "full disk: posts answered$codes"
    refused=$(echo "$codes" | tr ' ' '\n' | grep -c '^503$' || true)
    [ "$refused" -ge 8 ] && ! echo "$codes" | grep -qvE '^( (201|503))*$' \
      || fail "full disk: expected 503s (no other status), got$codes: $(cat "$tmp/full-11.json")"
    grep -q '"store_unavailable"' "$tmp/full-11.json" || fail "full disk: $(cat "$tmp/full-11.json")"
    expect 503 "$tmp/full-ready.json" "$base/health/ready"
    rm -f "$tmp/full/filler" "$tmp/full/filler-tail"
    expect 201 "$tmp/full-after.json" -H 'content-type: application/json' -H "x-forwarded-for: 10.6.0.99" \
      -d "{\"name\":\"Full\",\"email\":\"after-full@example.com\",\"message\":\"Hi\",\"consent_policy_version\":\"2026-01\",\"consent_privacy_policy\":true,\"_token\":\"$token\"}" \
      "$base/api/forms/contact"
    expect 200 "$tmp/full-ready2.json" "$base/health/ready"
    expect 201 "$tmp/full-key.json" -H "authorization: Bearer $admin_key" -H 'content-type: application/json' \
      -d '{"name":"full","scopes":["leads:read"]}' "$base/api/v1/keys"
    full_key=$(sed -E 's/.*"key":"([^"]+)".*/\1/' "$tmp/full-key.json")
    expect 200 "$tmp/full.ndjson" -H "authorization: Bearer $full_key" "$base/api/v1/submissions?limit=all&format=ndjson"
    for email in before-full after-full; do
      grep -q "\"email\":\"$email@example.com\"" "$tmp/full.ndjson" || fail "full disk: $email missing from the feed"
    done
    for n in $(seq 2 11); do
      if grep -q "\"email\":\"full$n@example.com\"" "$tmp/full.ndjson"; then
        grep -q '"id"' "$tmp/full-$n.json" || fail "full disk: post $n was refused but is stored"
      fi
    done
    passed=$((passed + 1))
    kill "$pid"; wait "$pid" 2>/dev/null || true
    umount -l "$tmp/full"
  elif [ -n "${CI:-}" ]; then
    fail "full disk: CI must mount a tmpfs (run as root)"
  else
    echo "full disk: skipped (cannot mount a tmpfs here; CI runs it as root)"
  fi
fi

# A Redis outage (last: Redis loses its data here): ready is 503 within its 5 s deadline while Redis is
# stopped, and 200 again once it is back and Spin's client reconnected (up to two minutes: redis-rs 0.32.7's
# backoff, README "Spin's Redis client"); where the client does not recover, live must be 503 (a restart).
if [ "${SMOKE_KV:-sqlite}" = redis ]; then
  expect 200 "$tmp/outage-ready0.json" "$base/health/ready"
  kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true
  stopped=$SECONDS
  expect 503 "$tmp/outage-ready1.json" -m 20 "$base/health/ready"
  [ $((SECONDS - stopped)) -le 7 ] || fail "outage: ready took $((SECONDS - stopped)) s to answer 503"
  "${REDIS_SERVER:-redis-server}" --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp" --loglevel warning >>"$tmp/redis.log" 2>&1 &
  redis_pid=$!
  back=$SECONDS
  code=503
  while [ $((SECONDS - back)) -lt 150 ]; do
    code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' "$base/health/ready" || true)
    [ "$code" = 200 ] && break
    sleep 2
  done
  if [ "$code" = 200 ]; then
    echo "outage: ready 503 while Redis was stopped, 200 again $((SECONDS - back)) s after it was back"
  else
    expect 503 "$tmp/outage-live.json" -m 20 "$base/health/live"
    echo "outage: Spin's client did not recover within 150 s; live answers 503 (a restart)"
  fi
  passed=$((passed + 1))
fi

echo "spin smoke: $passed checks passed, 0 failed${SPIN_UP_ARGS:+ (spin up $SPIN_UP_ARGS)}"
