"""Requests signed by the official SDK, then tampered, fail with OSS's codes.

Tampering happens after the SDK has signed the request (a hook in the SDK's own
transport, see support.HookedHttpClient), or on the presigned URL text. Every
client here makes exactly one attempt (no retry, no re-signing).
"""

from __future__ import annotations

import datetime
import re
import time
import uuid
from email.utils import format_datetime
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import requests

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2.signer import SignerV4
from alibabacloud_oss_v2.types import HttpRequest, SigningContext
from alibabacloud_oss_v2.credentials import Credentials

from support import (BUCKET, REGION, RecordingSignerV4, StsCredentials, fetch_sts, http_error,
                     make_client, sdk_error, utc_now)

EC_V4_SIGNATURE_MISMATCH = "0002-00000201"
EC_SKEWED = "0002-00000504"


def http_date(when: datetime.datetime) -> str:
    return format_datetime(when.astimezone(datetime.timezone.utc), usegmt=True)


def unique_key(prefix: str) -> str:
    return f"tamper/{prefix}-{uuid.uuid4().hex[:10]}.txt"


def flip(ch: str) -> str:
    """A different lowercase hex digit."""
    return "0" if ch != "0" else "1"


def put(client: oss.Client, key: str, body: bytes = b"tampered?", **kw):
    return client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body, **kw))


def assert_signature_mismatch(err, signer: RecordingSignerV4 | None = None):
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert err.ec == EC_V4_SIGNATURE_MISMATCH, err
    assert len(err.fields.get("RequestId", "")) == 24, err
    assert err.fields.get("HostId"), err
    # The emulator reports what it computed, so a signer bug is debuggable.
    assert err.fields.get("StringToSign", "").startswith("OSS4-HMAC-SHA256"), err
    assert err.fields.get("CanonicalRequest"), err
    if signer is not None:
        # Only the signature (or a header) was tampered: the emulator's view of the
        # canonical request must be byte-for-byte what the SDK signed.
        assert err.fields["StringToSign"] == signer.string_to_sign, (
            f"emulator StringToSign:\n{err.fields['StringToSign']!r}\n"
            f"SDK StringToSign:\n{signer.string_to_sign!r}")
        assert err.fields["CanonicalRequest"] == signer.canonical_request, (
            f"emulator CanonicalRequest:\n{err.fields['CanonicalRequest']!r}\n"
            f"SDK CanonicalRequest:\n{signer.canonical_request!r}")


def _tamper_auth_signature(req: HttpRequest) -> None:
    auth = req.headers["Authorization"]
    m = re.search(r"Signature=([0-9a-f]{64})$", auth)
    assert m, auth
    sig = m.group(1)
    req.headers["Authorization"] = auth[: m.start(1)] + sig[:-1] + flip(sig[-1])


# --------------------------------------------------------------------------------------
# Header-signed requests (Authorization: OSS4-HMAC-SHA256 ...)
# --------------------------------------------------------------------------------------


def test_put_object_rejected_when_signature_char_changed(emulator, sts):
    signer = RecordingSignerV4()
    client = make_client(emulator.base_url, sts, mutate=_tamper_auth_signature, signer=signer)
    err = sdk_error(put, client, unique_key("sig"))
    assert_signature_mismatch(err, signer)


def test_get_object_rejected_when_signature_char_changed(emulator, sts, client):
    key = unique_key("sig-get")
    put(client, key)
    bad = make_client(emulator.base_url, sts, mutate=_tamper_auth_signature)
    err = sdk_error(bad.get_object, oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert_signature_mismatch(err)


def test_head_object_rejected_with_x_oss_err_when_signature_char_changed(emulator, sts, client):
    key = unique_key("sig-head")
    put(client, key)
    bad = make_client(emulator.base_url, sts, mutate=_tamper_auth_signature)
    err = sdk_error(bad.head_object, oss.HeadObjectRequest(bucket=BUCKET, key=key))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert "x-oss-err" in err.headers, err.headers  # HEAD: error XML in base64 header


def test_put_object_rejected_when_signed_header_changed_after_signing(emulator, sts):
    def change_meta(req: HttpRequest) -> None:
        assert req.headers["x-oss-meta-owner"] == "alice"
        req.headers["x-oss-meta-owner"] = "mallory"

    signer = RecordingSignerV4()
    client = make_client(emulator.base_url, sts, mutate=change_meta, signer=signer)
    err = sdk_error(put, client, unique_key("hdr"), metadata={"owner": "alice"})
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert err.ec == EC_V4_SIGNATURE_MISMATCH, err
    assert "x-oss-meta-owner:mallory" in err.fields.get("CanonicalRequest", ""), err


def test_put_object_rejected_when_content_type_changed_after_signing(emulator, sts):
    def change_type(req: HttpRequest) -> None:
        assert req.headers["Content-Type"] == "text/plain"
        req.headers["Content-Type"] = "text/html"

    client = make_client(emulator.base_url, sts, mutate=change_type)
    err = sdk_error(put, client, unique_key("ctype"), content_type="text/plain")
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert "content-type:text/html" in err.fields.get("CanonicalRequest", ""), err


def test_put_object_rejected_when_signed_content_type_not_sent(emulator, sts):
    def drop_type(req: HttpRequest) -> None:
        assert req.headers.get("Content-Type") == "text/plain"
        del req.headers["Content-Type"]

    client = make_client(emulator.base_url, sts, mutate=drop_type)
    err = sdk_error(put, client, unique_key("noctype"), content_type="text/plain")
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert err.ec == EC_V4_SIGNATURE_MISMATCH, err


def test_put_object_rejected_when_unsigned_x_oss_header_added_after_signing(emulator, sts):
    def add_header(req: HttpRequest) -> None:
        req.headers["x-oss-meta-sneaky"] = "1"

    client = make_client(emulator.base_url, sts, mutate=add_header)
    err = sdk_error(put, client, unique_key("addhdr"))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err


def test_put_object_rejected_when_key_changed_after_signing(emulator, sts):
    def change_path(req: HttpRequest) -> None:
        req.url = req.url.replace("/tamper/", "/tamper2/", 1)

    client = make_client(emulator.base_url, sts, mutate=change_path)
    err = sdk_error(put, client, unique_key("path"))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err


def test_put_object_rejected_when_secret_wrong(emulator, sts):
    wrong = StsCredentials(sts.access_key_id, sts.access_key_secret + "x", sts.security_token,
                           sts.expiration)
    client = make_client(emulator.base_url, wrong)
    err = sdk_error(put, client, unique_key("secret"))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err


def test_put_object_rejected_when_access_key_unknown(emulator, sts):
    unknown = StsCredentials("STS.NotIssuedByThisEmulator1", sts.access_key_secret,
                             sts.security_token, sts.expiration)
    client = make_client(emulator.base_url, unknown)
    err = sdk_error(put, client, unique_key("ak"))
    assert (err.status, err.code) == (403, "InvalidAccessKeyId"), err
    assert err.ec, err


def test_put_object_rejected_when_security_token_wrong(emulator, sts):
    # Correct key pair, signature computed over the wrong token: the token check fails.
    client = make_client(emulator.base_url, sts, security_token=sts.security_token[:-4] + "AAAA")
    err = sdk_error(put, client, unique_key("token"))
    assert (err.status, err.code) == (403, "InvalidSecurityToken"), err


def test_put_object_rejected_when_security_token_from_other_credentials(emulator, sts):
    other = fetch_sts(emulator.base_url)
    assert other.access_key_id != sts.access_key_id
    client = make_client(emulator.base_url, sts, security_token=other.security_token)
    err = sdk_error(put, client, unique_key("token2"))
    assert err.status == 403, err
    # OSS: "AccessKeyIdAndSecurityTokenNotMatch" or "InvalidSecurityToken".
    assert err.code in ("InvalidSecurityToken", "AccessKeyIdAndSecurityTokenNotMatch"), err


def test_put_object_rejected_when_security_token_missing(emulator, sts):
    client = make_client(emulator.base_url, sts, security_token=None)
    err = sdk_error(put, client, unique_key("notoken"))
    assert err.status == 403, err
    assert err.code in ("InvalidSecurityToken", "InvalidAccessKeyId", "AccessDenied"), err


def test_put_object_rejected_when_sts_token_expired(start_emulator):
    emu = start_emulator(sts_ttl=1)
    creds = fetch_sts(emu.base_url)
    time.sleep(2.2)
    client = make_client(emu.base_url, creds)
    err = sdk_error(put, client, unique_key("expired-token"))
    assert err.status == 403, err
    assert err.code == "SecurityTokenExpired", err


@pytest.mark.parametrize("minutes", [20, -20], ids=["ahead", "behind"])
def test_put_object_rejected_when_date_20_minutes_off(emulator, sts, minutes):
    # The SDK takes its signing time from an x-oss-date header already on the request
    # (parsed as an HTTP date), then writes x-oss-date/Date from it and signs.
    when = utc_now() + datetime.timedelta(minutes=minutes)
    signer = RecordingSignerV4()
    client = make_client(emulator.base_url, sts, signer=signer)
    err = sdk_error(put, client, unique_key("skew"),
                    headers={"x-oss-date": http_date(when)})
    assert when.strftime("%Y%m%dT%H%M%SZ") in signer.string_to_sign  # really signed 20 min off
    assert (err.status, err.code) == (403, "RequestTimeTooSkewed"), err
    assert err.ec == EC_SKEWED, err
    assert err.fields.get("MaxAllowedSkewMilliseconds") == "900000", err
    server_time = err.fields.get("ServerTime", "")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", server_time), err
    st = datetime.datetime.fromisoformat(server_time.replace("Z", "+00:00"))
    assert abs((st - utc_now()).total_seconds()) < 60, server_time
    assert err.fields.get("RequestTime"), err
    # Clients recover from the response Date header: it must be the server's time.
    assert "date" in err.headers, err.headers


def test_put_object_accepted_when_date_10_minutes_off(emulator, sts):
    when = utc_now() - datetime.timedelta(minutes=10)
    signer = RecordingSignerV4()
    client = make_client(emulator.base_url, sts, signer=signer)
    res = put(client, unique_key("skew-ok"), headers={"x-oss-date": http_date(when)})
    assert when.strftime("%Y%m%dT%H%M%SZ") in signer.string_to_sign
    assert res.status_code == 200


# --------------------------------------------------------------------------------------
# Presigned URLs (query signature)
# --------------------------------------------------------------------------------------


@pytest.fixture
def stored_key(client):
    key = unique_key("presigned")
    put(client, key, b"presigned payload")
    return key


def _replace_query_param(url: str, name: str, fn) -> str:
    parts = urlsplit(url)
    pairs = parts.query.split("&")
    out = []
    found = False
    for p in pairs:
        k, _, v = p.partition("=")
        if k == name:
            v = fn(v)
            found = True
        out.append(f"{k}={v}" if v else k)
    assert found, (name, url)
    return parts._replace(query="&".join(out)).geturl()


def test_presigned_get_rejected_when_signature_char_changed(client, stored_key):
    pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=stored_key))
    url = _replace_query_param(pre.url, "x-oss-signature", lambda s: s[:-1] + flip(s[-1]))
    err = http_error(requests.get(url, timeout=10))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert err.ec == EC_V4_SIGNATURE_MISMATCH, err
    assert err.fields.get("StringToSign", "").startswith("OSS4-HMAC-SHA256"), err


def test_presigned_get_rejected_when_expired(client, stored_key):
    pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=stored_key),
                         expires=datetime.timedelta(seconds=2))
    expires = dict(parse_qsl(urlsplit(pre.url).query))["x-oss-expires"]
    assert 1 <= int(expires) <= 2, pre.url
    assert requests.get(pre.url, timeout=10).status_code == 200  # valid at first
    time.sleep(int(expires) + 1.2)
    err = http_error(requests.get(pre.url, timeout=10))
    assert (err.status, err.code) == (403, "AccessDenied"), err
    assert err.ec, err  # OSS documents EC 0002-00000236 for an expired V4 URL


def test_presigned_get_rejected_when_signed_long_ago(client, sts, emulator, stored_key):
    # Signed 20 min ago for 10 min with the SDK's signer: expired 10 min ago.
    signed_at = utc_now() - datetime.timedelta(minutes=20)
    req = HttpRequest("GET", f"{emulator.base_url}/{BUCKET}/{quote(stored_key)}")
    ctx = SigningContext(product="oss", region=REGION, bucket=BUCKET, key=stored_key, request=req,
                         credentials=Credentials(sts.access_key_id, sts.access_key_secret,
                                                 sts.security_token),
                         signing_time=signed_at)
    ctx.auth_method_query = True
    ctx.expiration_time = signed_at + datetime.timedelta(minutes=10)
    SignerV4().sign(ctx)
    assert "x-oss-expires=600" in req.url
    err = http_error(requests.get(req.url, timeout=10))
    assert (err.status, err.code) == (403, "AccessDenied"), err
    assert err.ec, err


def test_presigned_get_rejected_when_security_token_wrong(client, stored_key):
    pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=stored_key))
    url = _replace_query_param(pre.url, "x-oss-security-token", lambda t: t[:-6] + "AAAAAA")
    err = http_error(requests.get(url, timeout=10))
    assert (err.status, err.code) == (403, "InvalidSecurityToken"), err


def test_presigned_put_rejected_when_signed_content_type_not_sent(client):
    key = unique_key("presign-noctype")
    pre = client.presign(oss.PutObjectRequest(bucket=BUCKET, key=key, content_type="text/plain"))
    # requests sends no Content-Type for a bytes body, so the signed header is missing.
    err = http_error(requests.put(pre.url, data=b"hello", timeout=10))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
    assert err.ec == EC_V4_SIGNATURE_MISMATCH, err


def test_presigned_put_rejected_when_content_type_differs(client):
    key = unique_key("presign-ctype")
    pre = client.presign(oss.PutObjectRequest(bucket=BUCKET, key=key, content_type="text/plain"))
    err = http_error(requests.put(pre.url, data=b"hello", headers={"Content-Type": "image/png"},
                                  timeout=10))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err


def test_presigned_get_rejected_when_extra_query_param_added(client, stored_key):
    # V4 signs every query parameter: a cache buster added after signing breaks it.
    pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=stored_key))
    err = http_error(requests.get(pre.url + "&cachebuster=1", timeout=10))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err


def test_presigned_put_rejected_when_used_for_another_key(client):
    pre = client.presign(oss.PutObjectRequest(bucket=BUCKET, key=unique_key("presign-a")))
    url = pre.url.replace("/tamper/presign-a-", "/tamper/presign-b-", 1)
    err = http_error(requests.put(url, data=b"x", timeout=10))
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err
