"""Legacy V1 signatures (`OSS ak:sig`, `OSSAccessKeyId/Expires/Signature` URLs).

Application servers in the wild still sign V1, so the emulator accepts it (issue 3).
The SDK's V1 signer (signature_version="v1") is the oracle here.

Note on the STS token with V1 headers: alibabacloud-oss-v2 1.4.1 puts the token in a
plain `security-token` header that V1 does not sign. The other official SDKs (oss2,
Go, ali-oss) send `x-oss-security-token`, a signed header; these tests pass
`x-oss-security-token` explicitly, so the signed request is the standard V1 shape.
"""

from __future__ import annotations

import datetime
import re
import uuid
from email.utils import format_datetime
from urllib.parse import parse_qsl, urlsplit

import requests

import alibabacloud_oss_v2 as oss

from support import BUCKET, http_error, make_client, sdk_error, utc_now


def v1_client(emulator, sts, **kw) -> oss.Client:
    return make_client(emulator.base_url, sts, signature_version="v1", **kw)


def tok(sts) -> dict:
    return {"x-oss-security-token": sts.security_token}


def unique_key(prefix: str) -> str:
    return f"v1/{prefix}-{uuid.uuid4().hex[:10]}/a b+中.txt"


def test_v1_put_object_then_get_object_returns_same_bytes(emulator, sts):
    client = v1_client(emulator, sts)
    key = unique_key("put")
    body = b"signed with V1" * 50
    put = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body, headers=tok(sts)))
    assert put.status_code == 200
    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key, headers=tok(sts)))
    assert got.body.read() == body


def test_v1_presigned_get_returns_object_bytes(emulator, sts, client):
    key = unique_key("presign-get")
    body = b"v1 presigned get"
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    pre = v1_client(emulator, sts).presign(oss.GetObjectRequest(bucket=BUCKET, key=key))
    q = dict(parse_qsl(urlsplit(pre.url).query))
    assert {"OSSAccessKeyId", "Expires", "Signature", "security-token"} <= set(q), pre.url
    resp = requests.get(pre.url, timeout=10)
    assert resp.status_code == 200, http_error(resp)
    assert resp.content == body


def test_v1_presigned_put_with_content_type_succeeds_when_replayed_exactly(emulator, sts, client):
    key = unique_key("presign-put")
    pre = v1_client(emulator, sts).presign(
        oss.PutObjectRequest(bucket=BUCKET, key=key, content_type="text/plain"))
    resp = requests.put(pre.url, data=b"v1 put", headers={"Content-Type": "text/plain"}, timeout=10)
    assert resp.status_code == 200, http_error(resp)
    assert client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key)).body.read() == b"v1 put"


def test_v1_put_object_rejected_when_signature_char_changed(emulator, sts):
    def tamper(req):
        auth = req.headers["Authorization"]
        m = re.fullmatch(r"OSS ([^:]+):(.+)", auth)
        assert m, auth
        sig = m.group(2)
        req.headers["Authorization"] = f"OSS {m.group(1)}:{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"

    client = v1_client(emulator, sts, mutate=tamper)
    err = sdk_error(client.put_object, oss.PutObjectRequest(
        bucket=BUCKET, key=unique_key("sig"), body=b"x", headers=tok(sts)))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert err.ec, err  # OSS: 0002-00000040 for V1
    assert err.fields.get("StringToSign"), err


def test_v1_presigned_get_rejected_when_expired(emulator, sts, client):
    key = unique_key("presign-exp")
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"x"))
    pre = v1_client(emulator, sts).presign(
        oss.GetObjectRequest(bucket=BUCKET, key=key),
        expiration=utc_now() - datetime.timedelta(seconds=5))
    err = http_error(requests.get(pre.url, timeout=10))
    assert (err.status, err.code) == (403, "AccessDenied"), err
    assert "expired" in err.fields.get("Message", "").lower(), err
    assert err.fields.get("Expires") and err.fields.get("ServerTime"), err


def test_v1_put_object_rejected_when_date_20_minutes_off(emulator, sts):
    when = utc_now() - datetime.timedelta(minutes=20)
    headers = {**tok(sts), "x-oss-date": format_datetime(when, usegmt=True)}
    client = v1_client(emulator, sts)
    err = sdk_error(client.put_object, oss.PutObjectRequest(
        bucket=BUCKET, key=unique_key("skew"), body=b"x", headers=headers))
    assert (err.status, err.code) == (403, "RequestTimeTooSkewed"), err
    assert err.fields.get("ServerTime"), err
