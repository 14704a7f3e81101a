"""Local stand-in for the parts of the ChargeOver REST API v3 that `webhook-admin`
uses (`reconcile chargeover`). Python 3 standard library only.

Usage: python3 tests/standins/chargeover_api.py [--port N]
Prints one line `http://127.0.0.1:PORT` once listening; exits when its standard
input closes, or on SIGTERM.

Sources (full notes: the research file handed over with this script):
- Endpoint /api/v3/..., HTTP Basic, offset/limit, get by id, `where` operators:
  developer.chargeover.com/apidocs/rest/
- `where=field:OP:value[,field:OP:value]` (AND), EQUALS GT LT GTE LTE CONTAINS
  NOTEQUALS IS:NULL ISNOT:NULL: developer.chargeover.com/docs/api-information/querying/filtering
- `order=field:ASC|DESC`: developer.chargeover.com/docs/api-information/querying/sorting
- Status codes (200, 400, 401, 404, 429 on rate limits, 500):
  developer.chargeover.com/docs/api-information/http-status-codes
- Envelope {"code","status","message","details","response"}, 401 and 404 examples:
  developer.chargeover.com/docs/api/get-a-specific-customer, .../get-a-specific-contact,
  .../query-for-customers, .../query-for-contacts
- Escaped commas (`\\,`) in where values: chargeover/chargeover_php ChargeOverAPI.php find()
- Lookup by token (`/customer/token:abc`): .../api-information/object-tokens/example-object-tokens

Not documented by ChargeOver, chosen here (do not rely on them in the client): the
default limit 10 and maximum 500 (larger values are clamped; both from secondary
sources only), the default order (by id ascending), the 401 message for wrong (not
missing) credentials and its WWW-Authenticate header, the body of 429 answers,
404 (the docs say 400) for unknown endpoints; a where value is everything after the
second colon (so a "YYYY-MM-DD HH:MM:SS" datetime works).

Control endpoints (no auth, JSON):
- PUT /_standin/state {"username", "password", "customers": [...], "users": [...]}
  replaces the data (faults and the request log stay); 204.
- POST /_standin/fail {"path_prefix", "status", "retry_after"?, "times"}: the next
  `times` API requests under path_prefix get that status, the error envelope, and
  Retry-After when given; checked before authentication; 204.
- GET /_standin/requests: [{"method", "path", "query" (raw query string)}] of every
  API request, in order, faulted or not.
"""
import base64
import binascii
import json
import re
import secrets
import threading
from http import HTTPStatus
from urllib.parse import parse_qs

from serve import ApiError, JsonHandler, serve

DEFAULT_LIMIT, MAX_LIMIT = 10, 500  # secondary sources only (see docstring)
NUMBER = re.compile(r"-?\d+(\.\d+)?")


class State:  # all mutable data, guarded by its one lock
    def __init__(self):
        self.lock = threading.Lock()
        self.username = self.password = None
        self.customers, self.users, self.faults, self.requests = [], [], [], []


STATE = State()


def envelope(code, message, response):
    # get-a-specific-customer: {"code": 200, "status": "OK", "message": "", "details": {}, "response": ...}
    return {"code": code, "status": "OK" if code < 400 else "Error", "message": message,
            "details": {}, "response": response}


def is_number(value):
    return not isinstance(value, bool) and (isinstance(value, (int, float)) or
                                            isinstance(value, str) and NUMBER.fullmatch(value) is not None)


def matches(have, op, want):
    """One where clause. Numbers compare as numbers when both sides are numeric, anything
    else as text, so "YYYY-MM-DD HH:MM:SS" datetimes order correctly."""
    if op in ("IS", "ISNOT"):  # `field:IS:NULL`, `field:ISNOT:NULL`
        return (have is None) == (op == "IS")
    if op == "CONTAINS":
        return have is not None and want.lower() in str(have).lower()
    a, b = (float(have), float(want)) if is_number(have) and is_number(want) else ("" if have is None else str(have), want)
    if op in ("EQUALS", "NOTEQUALS"):
        return (a == b) == (op == "EQUALS")
    if have is None:
        return False
    return {"GT": a > b, "GTE": a >= b, "LT": a < b, "LTE": a <= b}[op]


# filtering page: EQUALS GT LT GTE LTE CONTAINS NOTEQUALS IS:NULL ISNOT:NULL
OPS = {"EQUALS", "NOTEQUALS", "GT", "GTE", "LT", "LTE", "CONTAINS", "IS", "ISNOT"}


def parse_where(text):
    """`a:OP:v,b:OP:v` -> [(field, OP, value)], all must hold; `\\,` is a literal comma
    (PHP SDK find()); the value is everything after the second colon."""
    clauses = []
    for part in re.split(r"(?<!\\),", text):
        part = part.replace("\\,", ",").strip()
        if not part:
            continue
        bits = part.split(":", 2)
        if len(bits) != 3 or not bits[0] or bits[1].upper() not in OPS \
                or bits[1].upper() in ("IS", "ISNOT") and bits[2].upper() != "NULL":
            raise ApiError(400, f"Missing or invalid parameter. [where: {part}]")
        clauses.append((bits[0], bits[1].upper(), bits[2]))
    return clauses


def sort_key(value):  # nulls first, then numbers, then text
    return (0, 0, "") if value is None else (1, float(value), "") if is_number(value) else (2, 0, str(value))


def listing(items, query, id_field):
    """Filter (where), sort (order), page (offset, limit) as the query pages document."""
    one = lambda name, default: query.get(name, [default])[-1]
    for field, op, value in parse_where(one("where", "")):
        items = [i for i in items if matches(i.get(field), op, value)]
    orders = [o.strip() for o in one("order", f"{id_field}:ASC").split(",") if o.strip()]
    for spec in reversed(orders):  # stable sorts, last key first
        field, _, direction = spec.partition(":")
        if direction.upper() not in ("", "ASC", "DESC"):
            raise ApiError(400, f"Missing or invalid parameter. [order: {spec}]")
        items = sorted(items, key=lambda i: sort_key(i.get(field)), reverse=direction.upper() == "DESC")
    try:
        offset, limit = int(one("offset", "0")), int(one("limit", str(DEFAULT_LIMIT)))
        assert offset >= 0 and limit > 0
    except (ValueError, AssertionError):
        raise ApiError(400, "Missing or invalid parameter. [offset/limit]")
    return items[offset:offset + min(limit, MAX_LIMIT)]


def phrase(status):  # the body of an injected fault: undocumented, so the HTTP reason phrase
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def find(items, id_field, key):
    # object-tokens page: GET /api/v3/customer/token:0q7fx5652k18
    field, key = ("token", key[6:]) if key.startswith("token:") else (id_field, key)
    for item in items:
        if item.get(field) is not None and str(item.get(field)) == key:
            return item
    # get-a-specific-contact, 404 "Object not found": "This object does not exist."
    raise ApiError(404, "This object does not exist.", response=None)


class Handler(JsonHandler):
    indent = 2

    def error_body(self, error):
        return envelope(error.status, error.message, error.response)

    def control(self, path, raw):
        route = (self.command, path)
        body = json.loads(raw or b"null") or {}
        with STATE.lock:
            if route == ("PUT", "/_standin/state"):
                STATE.username, STATE.password = body.get("username"), body.get("password")
                STATE.customers, STATE.users = list(body.get("customers", [])), list(body.get("users", []))
            elif route == ("POST", "/_standin/fail"):
                STATE.faults.append(dict(body, times=body.get("times", 1)))
            elif route == ("GET", "/_standin/requests"):
                return 200, list(STATE.requests)
            else:
                raise ApiError(404, f"No stand-in control endpoint {self.command} {path}", response=None)
        return 204, None

    def check_auth(self):
        # apidocs/rest: HTTP Basic; http-status-codes: wrong credentials -> 401 Unauthorized
        auth = self.headers.get("Authorization", "")
        challenge = {"WWW-Authenticate": 'Basic realm="ChargeOver API"'}
        if auth[:6].lower() != "basic ":
            raise ApiError(401, "Invalid or incorrect authorization [Missing (basic) authorization header.]", challenge)
        try:
            user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user = password = ""
        if STATE.username is None or not (secrets.compare_digest(user.encode(), str(STATE.username).encode())
                                          & secrets.compare_digest(password.encode(), str(STATE.password).encode())):
            raise ApiError(401, "Invalid or incorrect authorization [Invalid API username or password.]", challenge)

    def api(self, path, query_text, raw):
        query = parse_qs(query_text, keep_blank_values=True)
        with STATE.lock:
            STATE.requests.append({"method": self.command, "path": path, "query": query_text})
            for rule in STATE.faults:
                if rule["times"] > 0 and path.startswith(rule.get("path_prefix", "")):
                    rule["times"] -= 1
                    status = int(rule.get("status", 500))
                    headers = {"Retry-After": str(rule["retry_after"])} if rule.get("retry_after") is not None else {}
                    raise ApiError(status, phrase(status), headers, response=None)
            self.check_auth()
            parts = path.split("/")  # ["", "api", "v3", object, id?]
            if self.command == "GET" and parts[1:3] == ["api", "v3"] and len(parts) in (4, 5):
                items, id_field = {"customer": (STATE.customers, "customer_id"),
                                   "user": (STATE.users, "user_id")}.get(parts[3], (None, None))
                if items is not None and len(parts) == 4:  # query-for-customers / query-for-contacts
                    return 200, envelope(200, "", listing(items, query, id_field))
                if items is not None:  # get-a-specific-customer / get-a-specific-contact
                    return 200, envelope(200, "", find(items, id_field, parts[4]))
        # http-status-codes says an invalid endpoint is 400; 404 here by our test interface
        raise ApiError(404, f"No endpoint {self.command} {path}", response=None)


if __name__ == "__main__":
    serve(Handler, __doc__.splitlines()[0])
