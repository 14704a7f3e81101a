"""Local stand-in for the parts of the Oracle Commerce Cloud (CX Commerce) Admin
REST API that `webhook-admin` uses. Python 3 standard library only.

Usage: python3 tests/standins/occ_admin_api.py [--port N]
Prints one line `http://127.0.0.1:PORT` once listening; exits when its standard
input closes, or on SIGTERM.

Sources (full notes: the research file handed over with this script):
- Login, token lifetime, refresh:
  docs.oracle.com/en/cloud/saas/cx-commerce/cxocc/op-ccadmin-v1-login-post.html,
  docs.oracle.com/en/cloud/saas/cx-commerce/cxocc/Authentication.html,
  docs.oracle.com/cd/E90963_01/Cloud.10-17/ExtendingCC/html/s0203refreshanaccesstoken01.html
  ("Tokens associated with an application key expire after 5 minutes").
- Error envelope {"message", "status" (a string), "errorCode"}:
  docs.oracle.com/en/cloud/saas/cx-commerce/cxocc/errorMessage.html
- Failed messages: .../cxocc/op-ccadmin-v1-webhookfailedmessages-get.html,
  ...-id-get.html, ...-id-put.html, ...-put.html, ...-requeue-post.html,
  .../ccdev/manage-failed-webhook-calls.html
- Organizations: .../cxocc/op-ccadmin-v1-organizations-get.html (SCIM `q`,
  `sort` as `name:asc`, `offset`, `limit`, `useAdvancedQParser`, `links`);
  GET .../organizations/{id} answers the organization object (its page was not
  found in the stored docs; fields as in the webhook's `organization`).
- Paging defaults (limit 250, offset 0): .../cxocc/RESTQueryParams.html

Not documented by Oracle, chosen here (do not rely on them in the client): 401
for a bad application key and for a missing, unknown or expired access token; the
bodies and errorCode values of 401/404/429 answers (the envelope shape is
documented, the codes are placeholders "standin-<status>"), the body of the bulk
PUT (documented example is a single message), rate limiting (none documented;
only injectable here), a "last modified" field for organizations (none
documented; `q` compares any field present in the stored objects).

Control endpoints (no auth, JSON):
- PUT /_standin/state {"application_key", "token_seconds", "organizations": [...],
  "failed_messages": [...]} replaces the data (issued tokens, faults and logs stay); 204.
- POST /_standin/expire_tokens: every token issued so far is expired from now on; 204.
- POST /_standin/fail {"path_prefix", "status", "retry_after"?, "times"}: the next
  `times` API requests under path_prefix (login included) get that status, the
  envelope, and Retry-After when given; 204.
- GET /_standin/requests: [{"method", "path", "query" (raw query string)}] of every
  API request, in order, faulted or not.
- GET /_standin/resent: failed-message ids queued for resending, in order. As the
  docs say, queueing sets the message's `resend` to true; it stays in the list, and
  queueing a message already marked adds nothing.
"""
import json
import re
import secrets
import threading
import time
from datetime import datetime, timezone
from urllib.parse import parse_qs

from serve import ApiError, JsonHandler, serve

LOCK = threading.Lock()
STATE = {"application_key": None, "token_seconds": 300, "organizations": [],
         "failed_messages": [], "tokens": {}, "faults": [], "requests": [], "resent": []}
DEFAULT_LIMIT = 250  # RESTQueryParams.html: "limited by default to 250"


def envelope(status, message):
    # errorMessage.html: {"message": ..., "status": "400", "errorCode": "82001"}
    return {"errorCode": f"standin-{status}", "message": message, "status": str(status)}


# ---- q filters: SCIM (`field op "value"`, and/or/not, parentheses) and the
# RQL-style comparators (= != < <= > >=). The docs' own failed-message example
# uses `messageType eq "..."` without queryFormat, so both forms are accepted.
TOKEN = re.compile(r'\s*(?:([()])|"((?:[^"\\]|\\.)*)"|([<>!]?=|[<>])|(-?\d+(?:\.\d+)?)|([A-Za-z_][\w.]*))')
SYMBOLS = {"=": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
WORDS = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"}
LITERALS = {"true": True, "false": False, "null": None}


def tokenize(text):
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ApiError(400, f"Invalid query near: {text[pos:pos + 20]}")
        paren, string, sym, num, word = m.groups()
        low = (word or "").lower()
        out.append(("paren", paren) if paren else ("value", json.loads(f'"{string}"')) if string is not None
                   else ("op", SYMBOLS[sym]) if sym else ("value", float(num) if "." in num else int(num)) if num
                   else (low, word) if low in ("and", "or", "not") else ("value", LITERALS[low]) if low in LITERALS
                   else ("op", low) if low in WORDS else ("word", word))
        pos = m.end()
    return out


def parse_query(text):
    """q := or-expression of and-expressions of `field op value`, `field pr`, not, ( )."""
    toks = tokenize(text)

    def take(kind):
        if not toks or toks[0][0] != kind:
            raise ApiError(400, f"Invalid query: {text}")
        return toks.pop(0)[1]

    def chain(word, sub):
        node = sub()
        while toks and toks[0][0] == word:
            toks.pop(0)
            node = (word, node, sub())
        return node

    def factor():
        if toks and toks[0] == ("paren", "("):
            toks.pop(0)
            node = chain("or", lambda: chain("and", factor))
            if take("paren") != ")":
                raise ApiError(400, f"Invalid query: {text}")
            return node
        if toks and toks[0][0] == "not":
            toks.pop(0)
            return ("not", factor())
        field, op = take("word"), take("op")
        return ("cmp", field, op, None if op == "pr" else take("value"))

    node = chain("or", lambda: chain("and", factor))
    if toks:
        raise ApiError(400, f"Invalid query: {text}")
    return node


def as_time(value):
    if not isinstance(value, str) or not re.match(r"\d{4}-\d\d-\d\d", value):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def sort_key(value):
    if value is None:
        return (3, "")
    if as_time(value):
        return (0, as_time(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return (1, float(value))
    return (2, str(value))


def lookup(obj, path):
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def matches(node, obj):
    if node[0] in ("and", "or"):
        left, right = matches(node[1], obj), matches(node[2], obj)
        return (left and right) if node[0] == "and" else (left or right)
    if node[0] == "not":
        return not matches(node[1], obj)
    _, field, op, want = node
    have = lookup(obj, field)
    text = "" if have is None else str(have)
    if op in ("pr", "co", "sw", "ew"):
        return {"pr": have is not None, "co": str(want) in text,
                "sw": text.startswith(str(want)), "ew": text.endswith(str(want))}[op]
    if op in ("eq", "ne"):  # timestamps compare as instants, other values exactly
        same = have == want or (as_time(have) is not None and as_time(have) == as_time(want))
        return same == (op == "eq")
    a, b = sort_key(have), sort_key(want)
    if have is None or want is None:
        return False
    if a[0] != b[0]:
        a, b = (2, text), (2, str(want))
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


def listing(items, query, default_sort=None):
    """Filter (q), sort, page (offset, limit) as the list endpoints document."""
    q = query.get("q", [""])[0]
    if q.strip():
        tree = parse_query(q)
        items = [i for i in items if matches(tree, i)]
    sort = query.get("sort", [default_sort or ""])[0]
    order = []
    for part in reversed([p for p in sort.split(",") if p.strip()]):
        prop, _, direction = part.strip().partition(":")
        direction = (direction or "asc").lower()
        items = sorted(items, key=lambda i: sort_key(lookup(i, prop)), reverse=direction == "desc")
        order.insert(0, {"property": prop, "order": direction})
    try:
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", [str(DEFAULT_LIMIT)])[0])
        assert offset >= 0 and limit >= 0
    except (ValueError, AssertionError):
        raise ApiError(400, "offset and limit must be non-negative integers")
    return {"total": len(items), "totalResults": len(items), "offset": offset, "limit": limit,
            "sort": order, "items": items[offset:offset + limit]}


class Handler(JsonHandler):
    def error_body(self, error):
        return envelope(error.status, error.message)

    def json_body(self, raw):
        try:
            return json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON")

    def control(self, path, raw):
        route, body = (self.command, path), self.json_body(raw) or {}
        with LOCK:
            if route == ("PUT", "/_standin/state"):  # replaces the data; tokens, faults, logs stay
                STATE.update(application_key=body.get("application_key"),
                             token_seconds=body.get("token_seconds", 300),
                             organizations=list(body.get("organizations", [])),
                             failed_messages=list(body.get("failed_messages", [])))
            elif route == ("POST", "/_standin/expire_tokens"):
                STATE["tokens"] = {token: min(t, time.time()) for token, t in STATE["tokens"].items()}
            elif route == ("POST", "/_standin/fail"):
                STATE["faults"].append(dict(body, times=body.get("times", 1)))
            elif route == ("GET", "/_standin/requests") or route == ("GET", "/_standin/resent"):
                return 200, list(STATE[path.rsplit("/", 1)[1]])
            else:
                raise ApiError(404, f"No stand-in control endpoint {self.command} {path}")
        return 204, None

    def bearer(self):
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth[:7].lower() == "bearer " else None

    def issue_token(self):
        token = secrets.token_urlsafe(32)
        STATE["tokens"][token] = time.time() + STATE["token_seconds"]
        host = self.headers.get("Host", "127.0.0.1")
        return {"access_token": token, "token_type": "bearer", "expires_in": STATE["token_seconds"],
                "links": [{"rel": "self", "href": f"http://{host}{self.path.split('?')[0]}"}]}

    def api(self, path, query_text, raw):
        query = parse_qs(query_text, keep_blank_values=True)
        method = self.command
        with LOCK:
            STATE["requests"].append({"method": method, "path": path, "query": query_text})
            for rule in STATE["faults"]:
                if rule["times"] > 0 and path.startswith(rule.get("path_prefix", "")):
                    rule["times"] -= 1
                    headers = {"Retry-After": str(rule["retry_after"])} if rule.get("retry_after") is not None else {}
                    raise ApiError(int(rule.get("status", 500)), "Injected fault", headers)
            # op-ccadmin-v1-login-post.html: Authorization: Bearer <application key>,
            # form grant_type=client_credentials -> {access_token, token_type, expires_in}
            if path == "/ccadmin/v1/login" and method == "POST":
                form = parse_qs(raw.decode("utf-8", "replace")) or query
                if form.get("grant_type", [""])[0] != "client_credentials":
                    raise ApiError(400, "grant_type must be client_credentials")
                key = self.bearer()
                if not key or not STATE["application_key"] or not secrets.compare_digest(key, STATE["application_key"]):
                    raise ApiError(401, "Invalid application key")
                return 200, self.issue_token()
            token = self.bearer()
            if token not in STATE["tokens"]:
                raise ApiError(401, "Missing or invalid access token")
            if STATE["tokens"][token] <= time.time():
                raise ApiError(401, "The access token has expired")
            # s0203refreshanaccesstoken01.html: POST /ccadmin/v1/refresh with the current token
            if path == "/ccadmin/v1/refresh" and method == "POST":
                del STATE["tokens"][token]
                return 200, self.issue_token()
            if path.startswith("/ccadmin/v1/webhookFailedMessages"):
                return self.failed_messages(path, method, query, raw)
            if path.startswith("/ccadmin/v1/organizations"):
                return self.organizations(path, method, query)
        raise ApiError(404, f"No endpoint {method} {path}")

    def failed_messages(self, path, method, query, raw):
        messages = STATE["failed_messages"]
        rest = path[len("/ccadmin/v1/webhookFailedMessages"):].strip("/")
        if not rest and method == "GET":  # getFailedMessages: q (RQL default, SCIM), offset, limit, sort
            return 200, listing(messages, query, default_sort="id:asc")
        if rest == "requeue" and method == "POST":  # requeueFailedMessages (serviceName, serverType, dateRange GMT)
            body = self.json_body(raw) or {}
            rng = body.get("dateRange") or {}
            chosen = [m for m in messages
                      if all(body.get(k) in (None, m.get(k)) for k in ("serviceName", "serverType"))
                      and (not rng.get("fromDate") or sort_key(m.get("savedTime")) >= sort_key(rng["fromDate"]))
                      and (not rng.get("toDate") or sort_key(m.get("savedTime")) <= sort_key(rng["toDate"]))]
            for m in chosen:
                self.mark(m, True)
            return 200, {"message": f"{len(chosen)} messages have been requeued successfully"}
        if method == "PUT":  # updateFailedMessage(s): {"resend": true} queues for resend
            body = self.json_body(raw)
            if not isinstance(body, dict) or not isinstance(body.get("resend"), bool):
                raise ApiError(400, "The body must be {\"resend\": true|false}")
            if not rest:
                chosen = listing(messages, {"q": query.get("q", [""]), "limit": [str(len(messages))]})["items"]
                for m in chosen:
                    self.mark(m, body["resend"])
                return 200, {"totalResults": len(chosen), "items": chosen}
            message = self.find(messages, rest, "failed message")
            self.mark(message, body["resend"])
            return 200, message
        if rest and "/" not in rest and method == "GET":  # getFailedMessage
            return 200, self.find(messages, rest, "failed message")
        raise ApiError(404, f"No endpoint {method} {path}")

    @staticmethod
    def mark(message, resend):
        # manage-failed-webhook-calls.html: resend=true "causes the message to be added to a
        # queue for resending"; the item's `resend` field ("marked to be requeued") reads true.
        # It stays listed. Marking an already-marked message queues nothing new.
        if resend and not message.get("resend"):
            STATE["resent"].append(message.get("id"))
        message["resend"] = resend

    @staticmethod
    def find(items, item_id, what):
        for item in items:
            if str(item.get("id")) == item_id:
                return item
        raise ApiError(404, f"No {what} with id {item_id}")

    def organizations(self, path, method, query):
        rest = path[len("/ccadmin/v1/organizations"):].strip("/")
        if method == "GET" and not rest:  # listOrganizations: SCIM q, sort, offset, limit
            page = listing(STATE["organizations"], query)
            page.pop("sort")
            host = self.headers.get("Host", "127.0.0.1")
            page["links"] = [{"rel": "self", "href": f"http://{host}/ccadmin/v1/organizations"}]
            return 200, page
        if method == "GET" and "/" not in rest:  # getOrganization
            return 200, self.find(STATE["organizations"], rest, "organization")
        raise ApiError(404, f"No endpoint {method} {path}")


if __name__ == "__main__":
    serve(Handler, __doc__.splitlines()[0])
