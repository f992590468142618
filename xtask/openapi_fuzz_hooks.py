"""Schemathesis hooks for `cargo xtask openapi-fuzz`.

The OpenAPI document describes every rule of a request that JSON Schema can
say. A few rules it cannot say: they depend on what the server holds or
issued, on DNS, or on two fields at once. A request that breaks only one of
them is well formed by the schema and refused by the server, and
schemathesis reports it as "schema-valid request rejected" (ST202). This
hook drops exactly those reports, matched on the refusal's code and field,
so that any other refusal of schema-valid data still fails the run. It
also drops the authentication lock-out's 429s from the invalid-credentials
check, and the acceptance of a text that is over its `maxLength` only
with the white space around it, which the server trims before counting
(see `filter_failure`); and it keeps two workers from parsing Python
source at once (see `_one_parse_at_a_time`).
"""

import ast
import functools
import json
import os
import threading

import schemathesis


def _one_parse_at_a_time(parse):
    """`ast.parse` behind a lock shared by every thread.

    CPython 3.11 keeps the depth counter of its AST builder in state shared
    by all threads, and each parse resets it to its own thread's stack
    depth. If a garbage collection inside one parse runs a finalizer that
    lets another worker thread parse, the first parse ends with another
    thread's count and raises "SystemError: AST constructor recursion depth
    mismatch". Hypothesis parses the source of lambdas to describe
    strategies, in whichever worker thread builds them, so a fuzz run with
    two workers failed that way once with no fault of the server's.
    """
    lock = threading.RLock()

    @functools.wraps(parse)
    def parse_alone(*args, **kwargs):
        with lock:
            return parse(*args, **kwargs)

    return parse_alone


ast.parse = _one_parse_at_a_time(ast.parse)

# (error code, the start of the message) of each refusal no schema can
# express. The message starts with the field it is about.
RULES_OUTSIDE_THE_SCHEMA = [
    # Cursors are opaque tokens the server issued; the schema gives their
    # alphabet and length, not which strings it issued.
    ("INVALID_BODY", "cursor: is not a cursor this server issued"),
    ("VALIDATION_ERROR", "cursor: is not a cursor this server issued"),
    # `page` × `limit` at most 10,000: a bound on a product of two fields.
    ("VALIDATION_ERROR", "page: page × limit must be at most"),
    # Whether a URL may be fetched is decided on the addresses its host
    # resolves to, at request time (and the fuzz runs without a network).
    ("FORBIDDEN_URL", ""),
    # The caller's own handle: which one that is depends on the key.
    ("VALIDATION_ERROR", "slug: names you"),
    # A community the server holds.
    ("VALIDATION_ERROR", "communitySlug: must name a community"),
    # Query parameters are described one by one; `mode=my` and `community`
    # exclude each other.
    ("VALIDATION_ERROR", "community: cannot be combined with mode=my"),
    # A tag is letters and digits of any script: the schema's pattern names
    # the punctuation and symbols of ASCII and Latin-1, not all of Unicode's.
    ("INVALID_BODY", "tags: "),
    ("INVALID_BODY", "tag: must be 1 to 32 letters"),
    # At least 3 characters once runs of white space count as one space.
    ("VALIDATION_ERROR", "concept: must be 3 to 500 characters"),
    # A search needs a word: a letter or digit of any script, likewise.
    ("VALIDATION_ERROR", "q: must contain a word"),
    # At most 30 days after the moment of the request.
    ("INVALID_BODY", "publishAt: must be at most 30 days ahead"),
    # An upload's type is read from its bytes; a schema describes text.
    ("UNSUPPORTED_MEDIA_TYPE", ""),
    # A form field whose name holds control characters: its part header
    # is not valid HTTP, whatever the schema says of the field.
    ("INVALID_BODY", "malformed multipart body"),
]


# The document as written (what the server adds to it is error answers and
# its own URL), for the limits it states.
with open(
    os.path.join(os.path.dirname(__file__), "..", "crates", "aispace-http", "src", "openapi.json"),
    encoding="utf-8",
) as _file:
    DOCUMENT = json.load(_file)


def _schema_at(schema, pointer):
    """The subschema at a JSON pointer into a request body's schema, with
    every `$ref` on the way resolved; None where there is none."""
    for part in [p for p in pointer.split("/") if p]:
        while isinstance(schema, dict) and "$ref" in schema:
            target = DOCUMENT
            for name in schema["$ref"].lstrip("#/").split("/"):
                target = target[name]
            schema = target
        if not isinstance(schema, dict) or part not in schema:
            return None
        schema = schema[part]
    return schema


def _trimmed_within_max_length(failure, case):
    """Whether a "schema-violating request accepted" report is about a text
    whose length is within its `maxLength` once the white space around it
    is trimmed. The server trims a text before it counts it (and stores it
    trimmed); JSON Schema counts the text as sent and cannot say "after
    trimming"."""
    message = failure.message or ""
    marker = "violates `maxLength` at "
    if marker not in message or not isinstance(case.body, dict):
        return False
    pointer = message.split(marker, 1)[1].split(" ", 1)[0]
    name = pointer.rsplit("/", 1)[-1]
    value = case.body.get(name)
    if not isinstance(value, str) or "/properties/" not in pointer:
        return False
    operation = DOCUMENT["paths"].get(case.path, {}).get(case.method.lower(), {})
    for media in operation.get("requestBody", {}).get("content", {}).values():
        field = _schema_at(media.get("schema"), pointer)
        if isinstance(field, dict) and isinstance(field.get("maxLength"), int):
            return len(value.strip()) <= field["maxLength"]
    return False


def _refusal(response):
    """(code, message) of an error answer of any of the three envelopes."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    error = body.get("error")
    if isinstance(error, dict):  # AIspace and LOL-65B
        return error.get("code"), error.get("message") or ""
    if isinstance(error, str):  # doseofai
        return body.get("code"), error
    return None, None


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if response is None:
        return True
    code, message = _refusal(response)
    # "Unexpected response to invalid authentication" (ST401): after 60
    # failed authentications in a minute one client address is answered
    # 429 before its key is looked at, which is what keeps keys from being
    # guessed; the fuzz sends far more than 60 from 127.0.0.1.
    # The answer to the invalid credentials is not `response`; the lock-out
    # shows in the failure's message.
    if failure.code == "ST401":
        return "got `429 Too Many Requests`" not in (failure.message or "")
    # "Schema-violating request accepted" (ST201) for a body over the size
    # limit: 413 is a refusal too, judged before the body is read.
    if failure.code == "ST201":
        if response.status_code == 413 and code == "PAYLOAD_TOO_LARGE":
            return False
        return not _trimmed_within_max_length(failure, case)
    # "Created resource not found" (ST302) for a post: one created with a
    # future `publishAt` is not shown to anyone until its time comes.
    if failure.code == "ST302":
        return not str(getattr(failure, "created_with", "")).startswith("POST /api/agent/post")
    if failure.code != "ST202":
        return True
    if code is None:
        return True
    return not any(
        code == rule_code and message.startswith(prefix)
        for rule_code, prefix in RULES_OUTSIDE_THE_SCHEMA
    )
