#!/usr/bin/env python3
"""Writes the sample events in events/: API Gateway HTTP API (payload 2.0)
events for `sam local invoke -e` and `cargo lambda invoke --data-file`, the raw
bodies beside them (for curl), and expected.json (the status each must get).

Signatures are computed here with Python's hmac, and the encrypted sample
with the `cryptography` package's AES, independently of the Rust code under
test (the feedback loop below is first checked against the official
ChargeOver SDK's vector). The secrets are the local development ones
(scripts/local.env). Run again after changing a sample: `make events`.
"""
import base64
import hashlib
import hmac
import json
import pathlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

ROOT = pathlib.Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
SHARED_FIXTURES = ROOT / "shared" / "fixtures"


def local_env():
    values = {}
    for line in (ROOT / "scripts" / "local.env").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


ENV = local_env()
CHARGEOVER_TOKEN = ENV["LOCAL_CHARGEOVER_SECRET"]
OCC_KEY_TEXT = ENV["LOCAL_OCC_SECRET"]

CHARGEOVER_PATH = "/chargeover/customer/main-contact"
OCC_PATH = "/occ/organization"


def api_event(path, headers, body, user_agent):
    headers = {"content-type": "application/json", "user-agent": user_agent, **headers}
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": user_agent,
            },
            "requestId": "sample",
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": "22/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1795348800000,
        },
        "body": body,
        "isBase64Encoded": False,
    }


def ofb8(key, iv, data):
    """AES in OFB mode with 8-bit feedback (PHP mcrypt's `ofb`): each byte
    XORed with the first byte of E(register), which then shifts in."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    register, out = bytes(iv), bytearray()
    for byte in data:
        keystream = encryptor.update(register)[0]
        out.append(byte ^ keystream)
        register = register[1:] + bytes([keystream])
    return bytes(out)


def check_against_the_sdk_vector():
    vectors = ROOT / "functions" / "chargeover-main-contact" / "tests" / "vectors"
    sealed = base64.b64decode((vectors / "chargeover-encrypted-customer-insert.b64").read_text())
    plain = (vectors / "chargeover-encrypted-customer-insert.plain.json").read_bytes()
    assert ofb8(b"KsF52NuytfWnevljo0MXCcbJLEUZDBdg", sealed[:16], sealed[16:]) == plain, \
        "OFB-8 does not reproduce the ChargeOver SDK's vector"


def encrypted(body, key=CHARGEOVER_TOKEN):
    """The body as ChargeOver sends it encrypted: base64(IV || ciphertext);
    the IV is derived from the body so the sample is the same on every run."""
    iv = hashlib.sha256(body.encode()).digest()[:16]
    return base64.b64encode(iv + ofb8(key.encode(), iv, body.encode())).decode()


def compact(value):
    return json.dumps(value, separators=(",", ":"))


def occ_signature(body, digest=hashlib.sha512, key_text=OCC_KEY_TEXT):
    key = base64.b64decode(key_text)
    return base64.b64encode(hmac.new(key, body.encode(), digest).digest()).decode()


def chargeover_body(customer_id=413, mod_datetime="2017-10-05 17:51:22", token=CHARGEOVER_TOKEN):
    customer = json.loads((SHARED_FIXTURES / "chargeover-customer.json").read_text())
    user = json.loads((SHARED_FIXTURES / "chargeover-user.json").read_text())
    customer["customer_id"] = customer_id
    customer["mod_datetime"] = mod_datetime
    user["customer_id"] = customer_id
    return {
        "context_str": "customer",
        "context_id": customer_id,
        "event": "super",
        "data": {"customer": customer, "user": user},
        "security_token": token,
    }


def chargeover_events():
    valid = compact(chargeover_body())
    key = {"x-chargeover-key": CHARGEOVER_TOKEN, "x-chargeover-source": "example.chargeover.com"}
    wrong_event = chargeover_body(customer_id=414)
    wrong_event["event"] = "delete"
    # Encryption on: the envelope carries `security_salt`, not the token; the
    # ciphertext authenticates it.
    secret_body = chargeover_body(customer_id=415, mod_datetime="2017-10-06 09:30:00")
    secret_body["security_salt"] = secret_body.pop("security_token").replace("key", "salt")
    sealed = encrypted(compact(secret_body))
    return [
        ("chargeover-valid", key, valid, 200, "applied"),
        ("chargeover-encrypted", {"content-type": "text/plain"}, sealed, 200, "applied"),
        ("chargeover-duplicate", key, valid, 200, "duplicate"),
        ("chargeover-wrong-token", {**key, "x-chargeover-key": "not-the-secret"},
         compact(chargeover_body(token="not-the-secret")), 401, None),
        ("chargeover-malformed", key, valid[:-20], 400, None),
        ("chargeover-wrong-event", key, compact(wrong_event), 422, None),
    ]


def occ_events():
    full = compact(json.loads((SHARED_FIXTURES / "occ-organization-seed.json").read_text()))
    changes = compact({"organization": {
        "id": "or-300007",
        "name": "TestAccount Renamed",
        "relativeRoles": [
            {"_actionCode": "DELETE", "repositoryId": "400002"},
            {"_actionCode": "UPDATE", "function": "superAdmin", "repositoryId": "400001"},
            {"_actionCode": "CREATE", "function": "buyer", "repositoryId": "400006"},
        ],
        "secondaryAddresses": [
            {"address": {"_actionCode": "CREATE", "repositoryId": "addr-1", "address1": "1 Main St",
                         "city": "Austin", "state": "TX", "postalCode": "78701", "country": "US",
                         "types": [{"_actionCode": "CREATE", "id": "SHIPPING", "displayName": "Shipping",
                                    "repositoryId": "SHIPPING"}]},
             "addressType": "Headquarters"},
        ],
    }})
    truncated = compact({"organization": {
        "id": "or-300007",
        "description": "Many addresses",
        "secondaryAddressesIsTruncated": True,
    }})

    def signed(body):
        return {"x-oracle-cc-webhook-signature-sha512": occ_signature(body)}

    tampered_from = full.replace("TestAccount", "TestAccount2")
    return [
        ("occ-full", signed(full), full, 200, "applied"),
        ("occ-duplicate", signed(full), full, 200, "duplicate"),
        ("occ-changes-only", signed(changes), changes, 200, "applied"),
        ("occ-truncated", signed(truncated), truncated, 200, "applied"),
        ("occ-bad-signature", {"x-oracle-cc-webhook-signature-sha512":
                               occ_signature(full, key_text=base64.b64encode(b"another key").decode())},
         full, 401, None),
        # Signed, then changed in transit: the signature no longer matches.
        ("occ-tampered-body", signed(full), tampered_from, 401, None),
        ("occ-malformed", signed(full[:-10]), full[:-10], 400, None),
    ]


def main():
    check_against_the_sdk_vector()
    # In order: a duplicate follows the delivery it repeats.
    expected = []
    for name, headers, body, status, outcome in chargeover_events():
        write(name, api_event(CHARGEOVER_PATH, headers, body, "ChargeOver"), body)
        expected.append({"event": name, "function": "chargeover-main-contact", "status": status, "outcome": outcome})
    for name, headers, body, status, outcome in occ_events():
        write(name, api_event(OCC_PATH, headers, body, "Oracle Commerce Cloud"), body)
        expected.append({"event": name, "function": "occ-organization", "status": status, "outcome": outcome})
    (EVENTS / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


def write(name, event, body):
    (EVENTS / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n")
    extension = "json" if body.startswith("{") else "txt"
    (EVENTS / "bodies" / f"{name}.{extension}").write_text(body)


if __name__ == "__main__":
    main()
