"""Drives aispace's /mcp with the official MCP Python SDK, as an agent's
runtime would, and checks what it does against the REST surfaces.

Usage: mcp_client.py BASE_URL ALICE_KEY BOB_KEY BOB_DOSEOFAI_KEY REVOKED_KEY SERVER_PID

Every tool is called once with valid input and once with invalid input;
what a tool made is read back over REST; then the abuse cases: no key, a
revoked key, another agent's content, an oversized request, and a flood of
initialize requests. Prints one line per check; any failed check raises,
so the exit status says whether all held.
"""

import asyncio
import base64
import json
import struct
import sys
import zlib

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

BASE, ALICE, BOB, BOB_DOSEOFAI, REVOKED, SERVER_PID = sys.argv[1:7]
MCP = f"{BASE}/mcp"

EXPECTED_TOOLS = {
    "whoami", "read_feed", "get_post", "create_post", "create_meme",
    "create_discussion_post", "comment", "react", "search", "list_communities",
    "subscribe", "follow", "delete", "events_since",
}


def png(seed: int) -> bytes:
    """A 2x2 RGB PNG whose pixels depend on `seed` (so no two are equal)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + bytes([seed % 256, 40, 90] * 2) for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def check(what: str, condition: bool, detail=None) -> None:
    if not condition:
        raise AssertionError(f"{what}: {json.dumps(detail, default=str)[:800]}")
    print(f"ok: {what}")


def rest(method: str, path: str, key: str | None = None, **kwargs) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx2.request(method, f"{BASE}{path}", headers=headers, timeout=30, **kwargs)


def connect(key: str) -> tuple[httpx2.AsyncClient, Client]:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    return http, Client(streamable_http_client(MCP, http_client=http))


async def call(client: Client, tool: str, args: dict) -> tuple[bool, dict]:
    """(refused, structured content); a protocol-level refusal of the
    arguments (they break the tool's schema) counts as refused."""
    try:
        result = await client.call_tool(tool, args)
    except MCPError as e:
        return True, {"code": "INVALID_PARAMS", "message": str(e)}
    if result.is_error and result.structured_content is None:
        # Arguments the tool's schema refuses: the SDK's message, as text.
        text = " ".join(getattr(c, "text", "") for c in result.content)
        return True, {"code": "INVALID_PARAMS", "message": text}
    return bool(result.is_error), result.structured_content or {}


async def valid(client: Client, tool: str, args: dict) -> dict:
    refused, content = await call(client, tool, args)
    check(f"{tool} with valid input", not refused, content)
    return content


async def invalid(client: Client, tool: str, args: dict, code: str) -> dict:
    refused, content = await call(client, tool, args)
    check(f"{tool} with invalid input is a tool error {code}",
          refused and content.get("code") == code
          and content.get("message") and (code == "INVALID_PARAMS" or content.get("hint")),
          content)
    return content


async def every_tool() -> None:
    http, client = connect(ALICE)
    async with http, client:
        print(f"negotiated protocol version {client.protocol_version}")
        listed = await client.list_tools()
        names = {t.name for t in listed.tools}
        check("the fourteen tools are listed", names == EXPECTED_TOOLS, sorted(names))
        check("every tool has an object input schema and a description",
              all(t.input_schema.get("type") == "object" and t.description for t in listed.tools))

        me = await valid(client, "whoami", {})
        check("whoami names the key's agent", me["agent"]["slug"] == "alice", me)
        check("whoami reports quotas", "posts" in me["quotas"], me)
        await invalid(client, "whoami", {"unexpected": 1}, "INVALID_PARAMS")

        # An image by base64, the REST surfaces' view of it.
        image = base64.b64encode(png(7)).decode()
        post = await valid(client, "create_post",
                           {"imageBase64": image, "caption": "made over MCP #mcp"})
        listed = rest("GET", "/api/discuss/feed?sort=new", ALICE).json()["posts"]
        same = [p for p in listed if p["id"] == post["id"]]
        check("the post reads the same in the REST discussion feed", same == [post],
              {"rest": same, "mcp": post})
        feed = rest("GET", "/api/agent/feed?sort=latest", ALICE).json()
        check("the post is in the REST feed",
              any(item["id"] == post["id"] and item["caption"] == "made over MCP #mcp"
                  for item in feed["items"]), feed)
        await invalid(client, "create_post", {"caption": "no image"}, "VALIDATION_ERROR")

        meme = await valid(client, "create_meme", {
            "concept": "a robot reading the morning news", "topCaption": "when the feed",
            "bottomCaption": "is all robots"})
        check("the meme is an image post", meme["type"] == "image", meme)
        await invalid(client, "create_meme", {"concept": "ab"}, "VALIDATION_ERROR")

        discussion = await valid(client, "create_discussion_post", {
            "communitySlug": "general", "title": "Hello from an MCP agent",
            "body": "Robots **reading** the news."})
        check("Markdown is rendered", "<strong>reading</strong>" in discussion["bodyHtml"],
              discussion)
        refused = await invalid(client, "create_discussion_post",
                                {"communitySlug": "general", "title": " "}, "VALIDATION_ERROR")
        check("the refusal names the field", refused["message"].startswith("title: "), refused)

        comment = await valid(client, "comment",
                              {"postId": discussion["id"], "body": "A first comment."})
        await invalid(client, "comment", {"postId": discussion["id"], "body": " "},
                      "VALIDATION_ERROR")

        thread = await valid(client, "get_post", {"postId": discussion["id"]})
        check("get_post shows the comment",
              [c["id"] for c in thread["comments"]] == [comment["id"]], thread)
        await invalid(client, "get_post", {"postId": "c0000000000000000000000000"}, "NOT_FOUND")

        # Reading without tools: a post, an agent, one's own activity.
        resources = await client.list_resources()
        check("my activity is a resource",
              [str(r.uri) for r in resources.resources] == ["aispace://me/activity"], resources)
        templates = await client.list_resource_templates()
        check("posts and agents are resource templates",
              sorted(t.uri_template for t in templates.resource_templates)
              == ["aispace://agents/{handle}", "aispace://posts/{postId}"], templates)
        read = await client.read_resource(f"aispace://posts/{discussion['id']}")
        as_resource = json.loads(read.contents[0].text)
        check("a post reads as get_post shows it", as_resource == thread, as_resource)
        read = await client.read_resource("aispace://agents/alice")
        check("an agent reads as its profile", json.loads(read.contents[0].text)["slug"] == "alice")
        read = await client.read_resource("aispace://me/activity")
        activity = json.loads(read.contents[0].text)
        check("my activity lists my newest posts",
              post["id"] in [p["id"] for p in activity["recentPosts"]], activity)
        try:
            await client.read_resource("aispace://posts/c0000000000000000000000000")
            check("an unknown post is no resource", False)
        except MCPError as e:
            check("an unknown post is no resource", "no resource" in str(e), str(e))

        hot = await valid(client, "read_feed", {"sort": "newest"})
        check("read_feed lists what was posted",
              {post["id"], discussion["id"]} <= {p["id"] for p in hot["posts"]}, hot)
        tagged = await valid(client, "read_feed", {"tag": "mcp"})
        check("read_feed by tag", [p["id"] for p in tagged["posts"]] == [post["id"]], tagged)
        await invalid(client, "read_feed", {"sort": "top", "period": "1y"}, "VALIDATION_ERROR")

        found = await valid(client, "search", {"q": "robots"})
        check("search finds the discussion",
              discussion["id"] in [p["id"] for p in found["posts"]], found)
        await invalid(client, "search", {"q": " "}, "VALIDATION_ERROR")

        communities = await valid(client, "list_communities", {})
        check("general is listed first", communities["communities"][0]["slug"] == "general",
              communities)
        await invalid(client, "list_communities", {"limit": 0}, "VALIDATION_ERROR")

        await valid(client, "subscribe", {"communitySlug": "general"})
        await invalid(client, "subscribe", {"communitySlug": "no_such_place"}, "NOT_FOUND")

        followed = await valid(client, "follow", {"handle": "bob"})
        check("follow counts the follower", followed["followerCount"] == 1, followed)
        await invalid(client, "follow", {"handle": "alice"}, "VALIDATION_ERROR")

        # Any key format: Bob's second key looks like doseofai's.
        dose_http, dose = connect(BOB_DOSEOFAI)
        async with dose_http, dose:
            bob_me = await valid(dose, "whoami", {})
            check("a doseofai-format key works too", bob_me["agent"]["slug"] == "bob", bob_me)

        # Bob's post, for reactions and for what Alice may not delete.
        bob_http, bob = connect(BOB)
        async with bob_http, bob:
            bobs = await valid(bob, "create_post",
                               {"imageBase64": base64.b64encode(png(9)).decode()})
        voted = await valid(client, "react", {"postId": bobs["id"], "reaction": "up"})
        check("an up-vote counts", voted == {"score": 1, "yourVote": 1}, voted)
        liked = await valid(client, "react", {"postId": bobs["id"], "reaction": "like"})
        check("a like counts", liked == {"liked": True, "likes": 1}, liked)
        medal = await valid(client, "react", {"postId": bobs["id"], "reaction": "gold",
                                              "reason": "crisp pixels"})
        check("a medal counts", medal["medal"] == "GOLD" and medal["gold"] == 1, medal)
        check("the REST view shows the vote",
              [p["agentVote"] for p in rest("GET", "/api/discuss/feed?sort=new", ALICE).json()["posts"]
               if p["id"] == bobs["id"]] == [1])
        await invalid(client, "react", {"postId": post["id"], "reaction": "gold"},
                      "CANNOT_MEDAL_OWN_POST")

        events = await valid(client, "events_since", {})
        check("events_since returns events", isinstance(events["events"], list), events)
        await invalid(client, "events_since", {"cursor": "garbage"}, "VALIDATION_ERROR")

        # Another agent's content: as over REST, it is not yours to find.
        await invalid(client, "delete", {"postId": bobs["id"]}, "NOT_FOUND")
        check("Bob's post is still there",
              rest("GET", f"/api/agent/posts/{bobs['id']}", BOB).status_code == 200)
        await valid(client, "delete", {"postId": discussion["id"], "commentId": comment["id"]})
        await valid(client, "delete", {"postId": post["id"]})
        check("a deleted post is gone over REST",
              rest("GET", f"/api/agent/posts/{post['id']}", ALICE).status_code == 404)


def initialize(key: str | None) -> httpx2.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "flood", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return httpx2.post(MCP, json=body, headers=headers, timeout=30)


def rss_kib() -> int:
    with open(f"/proc/{SERVER_PID}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def abuse() -> None:
    for key, what in [(None, "no key"), (REVOKED, "a revoked key"), ("asp_x.nonsense", "a bad key")]:
        answer = initialize(key)
        check(f"{what} is refused with 401 and WWW-Authenticate",
              answer.status_code == 401 and answer.headers.get("www-authenticate") == "Bearer",
              answer.text)

    too_big = "A" * (8 * 1024 * 1024)
    answer = httpx2.post(MCP, content=json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                                  "params": {"name": "create_post",
                                                             "arguments": {"imageBase64": too_big}}}),
                         headers={"Authorization": f"Bearer {ALICE}",
                                  "Content-Type": "application/json",
                                  "Accept": "application/json, text/event-stream"}, timeout=60)
    check("an oversized request is refused with 413", answer.status_code == 413, answer.status_code)

    answer = httpx2.post(MCP, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                         headers={"Authorization": f"Bearer {ALICE}", "Origin": "https://evil.example",
                                  "Accept": "application/json, text/event-stream",
                                  "MCP-Protocol-Version": "2025-06-18"}, timeout=30)
    check("a request from another origin is refused", answer.status_code == 403, answer.status_code)

    for _ in range(50):
        initialize(ALICE)
    before = rss_kib()
    sessions = set()
    for _ in range(500):
        answer = initialize(ALICE)
        check_ok = answer.status_code == 200
        if not check_ok:
            raise AssertionError(f"initialize: {answer.status_code} {answer.text}")
        sessions.add(answer.headers.get("mcp-session-id"))
    after = rss_kib()
    check("a flood of initialize requests opens no session", sessions == {None}, sorted(map(str, sessions)))
    check("and leaves no memory behind (RSS within 8 MiB)", after - before < 8 * 1024,
          {"before_kib": before, "after_kib": after})


asyncio.run(every_tool())
abuse()
print("all MCP checks passed")
