"""Verifies Standard Webhooks signatures with the standard library only,
independently of the server's Rust code: the docs' Python example.

usage: verify.py SECRET < deliveries.jsonl
Prints one line per delivery: "ok <id>" or "BAD <id>".
"""
import base64
import hashlib
import hmac
import json
import sys


def verify(secret, msg_id, timestamp, body, signature_header):
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.removeprefix("v1,"))
        for sig in signature_header.split(" ")
        if sig.startswith("v1,")
    )


secret = sys.argv[1]
for line in sys.stdin:
    d = json.loads(line)
    good = verify(secret, d["id"], d["timestamp"], d["body"], d["signature"])
    print(("ok " if good else "BAD ") + d["id"])
