#!/usr/bin/env python3
"""Reference decoder of the mouseauth wire format: version 2, and version 3 logins, decisions and alerts (docs/wire.md).

Standard library only: it decodes vectors and decisions and verifies their
HMAC-SHA256 MACs, and checks the framing of every other kind. It does not
open sealed logins (that needs X25519 and AES-GCM: use an RFC 9180 library) nor
verify a version 3 login's signature (ECDSA P-256: use a crypto library).

  python3 scripts/wire_decode.py check live/wire/testdata/vectors.json
      checks every vector and decision of the test set, the valid ones and the
      invalid ones (each must be refused with its published error class)

  kcat ... -C -t mouseauth.features -c 1 -e -f '%s' | python3 scripts/wire_decode.py decode --key HEX -
      decodes one message (a file or - for stdin) and prints it as JSON; with
      --key (the session key, 64 hex digits) it verifies the MAC

Exit status: 0 on success, 1 when a check fails or a message is refused, 2 on
a usage error.
"""

import argparse
import base64
import calendar
import hashlib
import hmac
import json
import math
import re
import struct
import sys
import unicodedata

VERSION = 2
VERSION3 = 3  # signed logins, score-free decisions, alerts with the rule's statistic
VERSION3_KINDS = ("login", "decision", "alert")  # a version 2 one of each still decodes
MAGIC = ord("M")
KIND_VECTOR = ord("V")
MAC_SIZE = 32
MAX_NAME = 256
MAX_VALUES = 1024
MAX_VECTOR_SIZE = 3 + 2 + MAX_NAME + 2 + MAX_NAME + 8 + 8 + 2 + 8 * MAX_VALUES + MAC_SIZE
MAX_JSON_SIZE = {"login": 8192, "decision": 4096, "alert": 4096, "dead_letter": 16384}
LABEL_VECTOR_MAC = b"mouseauth/v2 vector mac\x00"
LABEL_DECISION_MAC = b"mouseauth/v2 decision mac\x00"
LABEL_DECISION_MAC3 = b"mouseauth/v3 decision mac\x00"
MIN_NS, MAX_NS = -(1 << 63), (1 << 63) - 1

DECISION_FIELDS = {
    3: ["v", "kind", "user", "session", "seq", "accept", "alert", "closed", "reason", "sent", "service_ns",
        "redelivered", "mac"],
    2: ["v", "kind", "user", "session", "seq", "accept", "alert", "reason", "score", "mean",
        "window", "threshold", "model_version", "sent", "service_ns", "redelivered", "mac"],
}


class Refused(Exception):
    """A message a decoder must refuse; cls is the error class of docs/wire.md."""

    def __init__(self, cls, msg):
        super().__init__(msg)
        self.cls = cls


def malformed(msg):
    return Refused("malformed", msg)


def check_name(field, s, min_len=1):
    b = s.encode("utf-8", "surrogatepass")
    if len(b) > MAX_NAME:
        raise Refused("too large", "%s of %d bytes (at most %d)" % (field, len(b), MAX_NAME))
    if len(b) < min_len:
        raise malformed("%s of %d bytes (%d to %d)" % (field, len(b), min_len, MAX_NAME))
    for c in s:
        if unicodedata.category(c) in ("Cc", "Cs"):
            raise malformed("%s has control character U+%04X" % (field, ord(c)))


def kind_of(p):
    """Returns "vector", "login", "decision", "alert" or "dead_letter"."""
    if not p:
        raise malformed("empty message")
    if p[0] == MAGIC:
        if len(p) < 3:
            raise malformed("binary header of %d bytes" % len(p))
        if p[1] != VERSION:
            raise Refused("version", "version %d" % p[1])
        if p[2] != KIND_VECTOR:
            raise malformed("binary kind 0x%02x: version 2 sends only vectors in binary" % p[2])
        return "vector"
    if p[0] == ord("{"):
        obj = parse_json(p)
        if "v" not in obj:
            raise malformed('JSON message without "v"')
        if type(obj["v"]) is not int or not (obj["v"] == VERSION or obj["v"] == VERSION3 and obj.get("kind") in VERSION3_KINDS):
            raise Refused("version", "version %r" % (obj["v"],))
        if "kind" not in obj:
            raise malformed('JSON message without "kind"')
        if obj["kind"] not in MAX_JSON_SIZE:
            raise malformed("unknown kind %r" % (obj["kind"],))
        return obj["kind"]
    raise malformed("not a mouseauth message (first byte 0x%02x)" % p[0])


def parse_json(p):
    def no_duplicates(pairs):
        obj = {}
        for k, v in pairs:
            if k in obj:
                raise malformed("duplicate member %r" % k)
            obj[k] = v
        return obj

    def no_constants(name):
        raise malformed("%s is not a JSON number" % name)

    try:
        obj = json.loads(p.decode("utf-8"), object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (UnicodeDecodeError, ValueError) as e:
        if isinstance(e, Refused):
            raise
        raise malformed("JSON: %s" % e)
    if not isinstance(obj, dict):
        raise malformed("JSON message is not an object")
    return obj


# --- vectors -------------------------------------------------------------


def decode_vector(p):
    """Decodes a binary vector (without checking its MAC) into a dict."""
    if len(p) > MAX_VECTOR_SIZE:
        raise Refused("too large", "vector of %d bytes (at most %d)" % (len(p), MAX_VECTOR_SIZE))
    if kind_of(p) != "vector":
        raise malformed("not a vector")
    if len(p) < 3 + MAC_SIZE:
        raise malformed("vector of %d bytes is truncated" % len(p))
    body, off = p[:-MAC_SIZE], 3

    def take(n):
        nonlocal off
        if off + n > len(body):
            raise malformed("truncated")
        b = body[off:off + n]
        off += n
        return b

    def str16(field):
        (n,) = struct.unpack(">H", take(2))
        if n > MAX_NAME:
            raise malformed("%s of %d bytes (at most %d)" % (field, n, MAX_NAME))
        try:
            s = take(n).decode("utf-8")
        except UnicodeDecodeError:
            raise malformed("%s is not valid UTF-8" % field)
        check_name(field, s)
        return s

    user = str16("user")
    session = str16("session")
    seq, sent = struct.unpack(">qq", take(16))
    (n,) = struct.unpack(">H", take(2))
    if n > MAX_VALUES:
        raise Refused("too large", "%d values (at most %d)" % (n, MAX_VALUES))
    if len(body) - off != 8 * n:
        raise malformed("%d values announced, %d bytes follow before the MAC" % (n, len(body) - off))
    if seq < 0:
        raise malformed("negative seq %d" % seq)
    values = list(struct.unpack(">%dd" % n, take(8 * n)))
    for i, x in enumerate(values):
        if math.isnan(x) or math.isinf(x):
            raise malformed("value %d is %r" % (i, x))
    return {"kind": "vector", "user": user, "session": session, "seq": seq, "sent_ns": sent,
            "values": values, "mac": p[-MAC_SIZE:].hex()}


def vector_mac_input(p):
    return LABEL_VECTOR_MAC + p[:-MAC_SIZE]


def verify_vector(p, key):
    """Raises Refused("bad mac") unless the vector's MAC verifies under key."""
    want = hmac.new(key, vector_mac_input(p), hashlib.sha256).digest()
    if not hmac.compare_digest(want, p[-MAC_SIZE:]):
        raise Refused("bad mac", "vector MAC does not verify")


# --- decisions -----------------------------------------------------------

RFC3339 = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d\d):(\d\d))$")


def rfc3339_ns(s, field):
    """Returns an RFC 3339 time as Unix nanoseconds (int64 range only)."""
    m = RFC3339.match(s) if isinstance(s, str) else None
    if not m:
        raise malformed("%s %r is not an RFC 3339 time" % (field, s))
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and 1 <= d <= calendar.monthrange(y, mo)[1] and h < 24 and mi < 60 and sec < 60):
        raise malformed("%s %r is out of range" % (field, s))
    frac = int((m.group(7) or "").ljust(9, "0"))
    offset = 0
    if m.group(9):
        oh, om = int(m.group(10)), int(m.group(11))
        if oh > 23 or om > 59:
            raise malformed("%s %r has a bad offset" % (field, s))
        offset = (oh * 60 + om) * 60 * (1 if m.group(9) == "+" else -1)
    ns = (calendar.timegm((y, mo, d, h, mi, sec)) - offset) * 10**9 + frac
    if not MIN_NS <= ns <= MAX_NS:
        raise malformed("%s %s outside 1677-09-21..2262-04-11" % (field, s))
    return ns


def want_int(d, field, lo=MIN_NS):
    x = d[field]
    if type(x) is not int:
        raise malformed("%s is not an integer" % field)
    if not lo <= x <= MAX_NS:
        raise malformed("%s %d out of range" % (field, x))
    return x


def want_float(d, field):
    x = d[field]
    if type(x) not in (int, float):
        raise malformed("%s is not a number" % field)
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise malformed("%s is not finite" % field)
    return x + 0.0  # -0 enters the MAC as +0


def want_bool(d, field):
    if type(d[field]) is not bool:
        raise malformed("%s is not a boolean" % field)
    return d[field]


def want_str(d, field, min_len):
    if type(d[field]) is not str:
        raise malformed("%s is not a string" % field)
    check_name(field, d[field], min_len)
    return d[field]


def decode_decision(p):
    """Decodes a decision (without checking its MAC) into a dict of typed values."""
    if len(p) > MAX_JSON_SIZE["decision"]:
        raise Refused("too large", "decision of %d bytes" % len(p))
    kind = kind_of(p)
    if kind != "decision":
        raise malformed("a %s where a decision was expected" % kind)
    d = parse_json(p)
    v = d["v"]
    fields = DECISION_FIELDS[v]
    unknown = set(d) - set(fields)
    if unknown:
        raise malformed("unknown member %s" % sorted(unknown)[0])
    missing = [f for f in fields if f not in d]
    if missing:
        raise malformed("missing member %s" % missing[0])
    out = {
        "v": v, "user": want_str(d, "user", 1), "session": want_str(d, "session", 1),
        "seq": want_int(d, "seq", -1), "accept": want_bool(d, "accept"), "alert": want_bool(d, "alert"),
        "reason": want_str(d, "reason", 0), "sent_ns": rfc3339_ns(d["sent"], "sent"),
        "service_ns": want_int(d, "service_ns", 0), "redelivered": want_bool(d, "redelivered"),
    }
    if v == VERSION3:
        out["closed"] = want_bool(d, "closed")
        if out["alert"] and not out["closed"]:
            raise malformed("a decision that raises the alert closes the session")
        if out["closed"] and out["accept"]:
            raise malformed("a decision of a closed session accepts nothing")
    else:
        out.update({"score": want_float(d, "score"), "mean": want_float(d, "mean"),
                    "window": want_int(d, "window", 0), "threshold": want_float(d, "threshold"),
                    "model_version": want_int(d, "model_version", 0)})
    try:
        mac = base64.b64decode(d["mac"], validate=True) if isinstance(d["mac"], str) else b""
    except ValueError:
        raise malformed("mac is not base64")
    if len(mac) != MAC_SIZE:
        raise malformed("decision MAC of %d bytes (%d expected)" % (len(mac), MAC_SIZE))
    out["mac"] = mac.hex()
    return out


def decision_mac_input(d):
    def s16(s):
        b = s.encode("utf-8")
        return struct.pack(">H", len(b)) + b

    flags = (1 if d["accept"] else 0) | (2 if d["alert"] else 0) | (4 if d["redelivered"] else 0)
    if d["v"] == VERSION3:
        flags |= 8 if d["closed"] else 0
        return (LABEL_DECISION_MAC3 + s16(d["user"]) + s16(d["session"]) + struct.pack(">qB", d["seq"], flags)
                + s16(d["reason"]) + struct.pack(">qq", d["sent_ns"], d["service_ns"]))
    return (LABEL_DECISION_MAC + s16(d["user"]) + s16(d["session"]) + struct.pack(">qB", d["seq"], flags)
            + s16(d["reason"]) + struct.pack(">ddqdqqq", d["score"], d["mean"], d["window"], d["threshold"],
                                             d["model_version"], d["sent_ns"], d["service_ns"]))


def verify_decision(d, key):
    want = hmac.new(key, decision_mac_input(d), hashlib.sha256).digest()
    if not hmac.compare_digest(want, bytes.fromhex(d["mac"])):
        raise Refused("bad mac", "decision MAC does not verify")


# --- commands --------------------------------------------------------------


def decode(p, key=None):
    """Decodes any message; verifies vectors' and decisions' MACs when key is given."""
    kind = kind_of(p)
    if kind == "vector":
        out = decode_vector(p)
        if key is not None:
            verify_vector(p, key)
            out["mac_verified"] = True
        return out
    if kind == "decision":
        out = decode_decision(p)
        if key is not None:
            verify_decision(out, key)
            out["mac_verified"] = True
        return out
    if len(p) > MAX_JSON_SIZE[kind]:
        raise Refused("too large", "%s of %d bytes" % (kind, len(p)))
    return parse_json(p)  # logins, alerts, dead letters: shown as they are


def check(path):
    with open(path, encoding="utf-8") as fh:
        f = json.load(fh)
    key = bytes.fromhex(f["keys"]["session_key_hex"])
    assert f["labels"]["vector_mac_hex"] == LABEL_VECTOR_MAC.hex(), "vector MAC label"
    assert f["labels"]["decision_mac_hex"] == LABEL_DECISION_MAC3.hex(), "decision MAC label"
    assert f["labels"]["decision_mac_v2_hex"] == LABEL_DECISION_MAC.hex(), "version 2 decision MAC label"
    failures, n = [], 0

    def fail(name, msg):
        failures.append("%s: %s" % (name, msg))

    for c in f["vectors"]:
        n += 1
        p = bytes.fromhex(c["message_hex"])
        try:
            v = decode_vector(p)
            verify_vector(p, key)
        except Refused as e:
            fail("vector %r" % c["name"], "refused (%s): %s" % (e.cls, e))
            continue
        bits = [struct.pack(">d", x).hex() for x in v["values"]]
        for field, want in (("user", c["user"]), ("session", c["session"]), ("seq", c["seq"]), ("sent_ns", c["sent_ns"])):
            if v[field] != want:
                fail("vector %r" % c["name"], "%s %r, published %r" % (field, v[field], want))
        if bits != c["values_bits"]:
            fail("vector %r" % c["name"], "values differ from the published bits")
        if vector_mac_input(p).hex() != c["mac_input_hex"] or v["mac"] != c["mac_hex"]:
            fail("vector %r" % c["name"], "MAC input or MAC differ from the published ones")
    for c in f["decisions"]:
        n += 1
        try:
            d = decode_decision(c["message"].encode("utf-8"))
            verify_decision(d, key)
        except Refused as e:
            fail("decision %r" % c["name"], "refused (%s): %s" % (e.cls, e))
            continue
        if decision_mac_input(d).hex() != c["mac_input_hex"] or d["mac"] != c["mac_hex"]:
            fail("decision %r" % c["name"], "MAC input or MAC differ from the published ones")
    for group in ("logins", "alerts", "dead_letters"):
        for c in f[group]:
            n += 1
            try:
                decode(c["message"].encode("utf-8"))
            except Refused as e:
                fail("%s %r" % (group, c["name"]), "refused (%s): %s" % (e.cls, e))
    skipped = 0
    for c in f["invalid"]:
        p, k = bytes.fromhex(c["message_hex"]), bytes.fromhex(c["key_hex"])
        if c["kind"] not in ("vector", "decision"):
            if c["error_class"] == "version":
                try:
                    kind_of(p)
                    fail("invalid %r" % c["name"], "accepted")
                except Refused as e:
                    if e.cls != "version":
                        fail("invalid %r" % c["name"], "refused as %s, published %s" % (e.cls, c["error_class"]))
                n += 1
            else:
                skipped += 1  # opening a login needs HPKE
            continue
        n += 1
        try:
            if c["kind"] == "vector":
                decode_vector(p)
                verify_vector(p, k)
            else:
                verify_decision(decode_decision(p), k)
            fail("invalid %r" % c["name"], "accepted")
        except Refused as e:
            if e.cls != c["error_class"]:
                fail("invalid %r" % c["name"], "refused as %s (%s), published %s" % (e.cls, e, c["error_class"]))
    for msg in failures:
        print("FAIL " + msg)
    if failures:
        print("%d of %d checks failed" % (len(failures), n))
        return 1
    print("ok: %d checks passed (%d login cases skipped: opening needs an HPKE library)" % (n, skipped))
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="check a test vectors file")
    c.add_argument("file")
    d = sub.add_parser("decode", help="decode one message")
    d.add_argument("--key", help="session key, 64 hex digits: verify the MAC")
    d.add_argument("file", help="the message, or - for stdin")
    args = ap.parse_args(argv)
    if args.cmd == "check":
        return check(args.file)
    key = None
    if args.key is not None:
        try:
            key = bytes.fromhex(args.key)
        except ValueError:
            key = b""
        if len(key) != 32:
            print("wire_decode: --key: want 64 hex digits", file=sys.stderr)
            return 2
    if args.file == "-":
        p = sys.stdin.buffer.read()
    else:
        with open(args.file, "rb") as fh:
            p = fh.read()
    try:
        out = decode(p, key)
    except Refused as e:
        print("wire_decode: %s: refused (%s): %s" % (args.file, e.cls, e), file=sys.stderr)
        return 1
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
