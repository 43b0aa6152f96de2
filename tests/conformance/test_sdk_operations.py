"""The official Python SDK (alibabacloud-oss-v2) succeeds against the emulator.

Every request here is signed by the SDK with STS credentials from the emulator's
GET /sts (V4, path style, region cn-hangzhou); the emulator must accept it and
answer with OSS's headers and bodies.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2.crc import Crc64

from support import BUCKET, REGION, http_error, make_client, sdk_error, utc_now

KIB = 1024


def crc64(data: bytes) -> str:
    c = Crc64(0)
    c.update(data)
    return str(c.sum64())


def md5_etag(data: bytes) -> str:
    return '"' + hashlib.md5(data).hexdigest().upper() + '"'


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------------------
# STS stand-in
# --------------------------------------------------------------------------------------


def test_sts_returns_assume_role_json_with_sts_key(emulator):
    for method in ("GET", "POST"):
        resp = requests.request(method, f"{emulator.base_url}/sts", timeout=10)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body.get("RequestId"), body
        assert "AssumedRoleUser" in body, body
        c = body["Credentials"]
        assert c["AccessKeyId"].startswith("STS."), c
        assert c["AccessKeySecret"] and c["SecurityToken"], c
        # Expiration: ISO 8601 UTC with seconds and Z, about --sts-ttl (900 s) from now.
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", c["Expiration"]), c["Expiration"]
        exp = datetime.datetime.strptime(c["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        left = (exp - utc_now()).total_seconds()
        assert 840 <= left <= 960, left


# --------------------------------------------------------------------------------------
# PutObject / GetObject / HeadObject / DeleteObject
# --------------------------------------------------------------------------------------

KEYS = [
    "plain.txt",
    "dir/with space.txt",
    "plus+sign/a+b+c.bin",
    "中文目录/文件名 测试.txt",
    "emoji/😀🚀 party.bin",
    "a/b/c/d/e/nested/deep.json",
    "punct/!'()*~-_.;=,@$&.txt",
    "percent/100%25 sure?.txt",
]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.encode("unicode_escape").decode()[:40])
def test_put_object_then_get_object_returns_same_bytes(client, key):
    key = f"conf/{unique('put')}/{key}"
    body = os.urandom(3000) + key.encode("utf-8")
    put = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    assert put.status_code == 200
    assert put.etag == md5_etag(body)
    assert put.hash_crc64 == crc64(body)
    assert len(put.request_id) == 24, put.request_id

    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert got.status_code == 200
    assert got.body.read() == body
    assert got.etag == md5_etag(body)
    assert got.hash_crc64 == crc64(body)
    assert got.content_length == len(body)


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k.encode("unicode_escape").decode()[:40])
def test_put_object_stores_exact_key_name(emulator, client, key):
    # A round trip through the same encoder cannot catch a double decode (100%25 -> 100%):
    # the emulator's admin listing must show the key exactly as the SDK meant it.
    key = f"conf/{unique('exact')}/{key}"
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"k"))
    listing = requests.get(f"{emulator.base_url}/_emulator/objects", params={"bucket": BUCKET},
                           timeout=10).json()
    keys = {o["key"] for o in listing["objects"] if o["bucket"] == BUCKET}
    assert key in keys, sorted(k for k in keys if k.startswith(key.split("/")[0] + "/" + key.split("/")[1]))


def test_put_object_keeps_content_type_and_metadata(client):
    key = f"conf/{unique('meta')}/page.html"
    body = b"<p>hello</p>"
    client.put_object(oss.PutObjectRequest(
        bucket=BUCKET, key=key, body=body, content_type="text/html; charset=utf-8",
        metadata={"author": "tester", "purpose": "conformance"}))
    head = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=key))
    assert head.content_type == "text/html; charset=utf-8"
    assert head.metadata.get("author") == "tester"
    assert head.metadata.get("purpose") == "conformance"


def test_put_object_empty_body_has_zero_crc(client):
    key = f"conf/{unique('empty')}.bin"
    put = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b""))
    assert put.hash_crc64 == "0"
    assert put.etag == '"D41D8CD98F00B204E9800998ECF8427E"'
    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert got.body.read() == b""


def test_head_object_returns_length_etag_crc_and_type(client):
    key = f"conf/{unique('head')}.bin"
    body = os.urandom(12345)
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    head = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=key))
    assert head.status_code == 200
    assert head.content_length == len(body)
    assert head.etag == md5_etag(body)
    assert head.hash_crc64 == crc64(body)
    assert head.object_type == "Normal"
    assert head.last_modified is not None
    assert len(head.request_id) == 24


def test_get_object_fails_with_no_such_key_when_missing(client):
    err = sdk_error(client.get_object, oss.GetObjectRequest(bucket=BUCKET, key=f"conf/{unique('nope')}"))
    assert (err.status, err.code) == (404, "NoSuchKey"), err
    assert err.ec, err


def test_head_object_fails_with_no_such_key_in_x_oss_err_when_missing(client):
    # HEAD has no body: OSS puts the error XML base64-encoded in x-oss-err.
    err = sdk_error(client.head_object, oss.HeadObjectRequest(bucket=BUCKET, key=f"conf/{unique('nope')}"))
    assert (err.status, err.code) == (404, "NoSuchKey"), err
    assert "x-oss-err" in err.headers, err.headers


def test_delete_object_removes_object(client):
    key = f"conf/{unique('del')}.txt"
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"bye"))
    res = client.delete_object(oss.DeleteObjectRequest(bucket=BUCKET, key=key))
    assert res.status_code == 204
    err = sdk_error(client.get_object, oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert (err.status, err.code) == (404, "NoSuchKey"), err


def test_put_object_overwrites_existing_object(client):
    key = f"conf/{unique('over')}.txt"
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"first"))
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"second"))
    assert client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key)).body.read() == b"second"


def test_put_object_fails_with_file_already_exists_when_forbid_overwrite(client):
    key = f"conf/{unique('forbid')}.txt"
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"first"))
    err = sdk_error(client.put_object, oss.PutObjectRequest(
        bucket=BUCKET, key=key, body=b"second", forbid_overwrite=True))
    assert (err.status, err.code) == (409, "FileAlreadyExists"), err
    assert client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key)).body.read() == b"first"


def test_put_object_fails_with_invalid_digest_when_content_md5_wrong(client):
    key = f"conf/{unique('md5')}.txt"
    wrong = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    err = sdk_error(client.put_object, oss.PutObjectRequest(
        bucket=BUCKET, key=key, body=b"payload", content_md5=wrong))
    assert (err.status, err.code) == (400, "InvalidDigest"), err
    err = sdk_error(client.get_object, oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert err.code == "NoSuchKey", err


def test_put_object_succeeds_when_content_md5_correct(client):
    key = f"conf/{unique('md5ok')}.txt"
    body = b"0123456789"
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert md5 == "eB5eJF1ptWaXm4bijSPyxw=="
    put = client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body, content_md5=md5))
    assert put.status_code == 200


@pytest.mark.parametrize("key", ["\\leading-backslash.txt", "x" * 1024],
                         ids=["leading-backslash", "1024-bytes"])
def test_put_object_fails_with_invalid_object_name_when_key_invalid(client, key):
    # OSS object names: 1..1023 bytes of UTF-8, not starting with / or \.
    err = sdk_error(client.put_object, oss.PutObjectRequest(bucket=BUCKET, key=key, body=b"x"))
    assert (err.status, err.code) == (400, "InvalidObjectName"), err


def test_put_object_virtual_hosted_then_get_path_style(emulator, sts):
    # endpoint http://localhost:PORT without path style -> Host: demo.localhost:PORT, path /KEY.
    vclient = make_client(emulator.base_url, sts, path_style=False,
                          endpoint=f"http://localhost:{emulator.port}")
    key = f"conf/{unique('vhost')}/a b+c.txt"
    body = b"virtual hosted"
    vclient.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    method, url, headers = vclient.transport.sent[-1]
    assert headers.get("Host") == f"{BUCKET}.localhost:{emulator.port}", headers
    pclient = make_client(emulator.base_url, sts)
    assert pclient.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key)).body.read() == body
    assert vclient.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key)).body.read() == body


# --------------------------------------------------------------------------------------
# Presigned URLs
# --------------------------------------------------------------------------------------


def test_presigned_put_with_content_type_succeeds_when_replayed_exactly(client):
    key = f"conf/{unique('presign-put')}/报告 v1+final.txt"
    body = b"uploaded through a presigned URL\n"
    pre = client.presign(oss.PutObjectRequest(bucket=BUCKET, key=key, content_type="text/plain"),
                         expires=datetime.timedelta(minutes=10))
    assert pre.method == "PUT"
    assert "x-oss-signature=" in pre.url and "x-oss-security-token=" in pre.url
    assert {k.lower(): v for k, v in pre.signed_headers.items()} == {"content-type": "text/plain"}
    resp = requests.put(pre.url, data=body, headers=dict(pre.signed_headers), timeout=30)
    assert resp.status_code == 200, http_error(resp)
    assert resp.headers.get("ETag") == md5_etag(body)
    assert resp.headers.get("x-oss-hash-crc64ecma") == crc64(body)
    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert got.body.read() == body
    assert got.content_type == "text/plain"


def test_presigned_get_returns_object_bytes(client):
    key = f"conf/{unique('presign-get')}/😀 ünïcödé.bin"
    body = os.urandom(70 * KIB)
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    pre = client.presign(oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert pre.method == "GET"
    resp = requests.get(pre.url, timeout=30)
    assert resp.status_code == 200, http_error(resp)
    assert resp.content == body
    assert resp.headers.get("x-oss-hash-crc64ecma") == crc64(body)


def test_presigned_get_virtual_hosted_returns_object_bytes(emulator, sts, client):
    key = f"conf/{unique('presign-vhost')}/x y.bin"
    body = os.urandom(2000)
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    vclient = make_client(emulator.base_url, sts, path_style=False,
                          endpoint=f"http://localhost:{emulator.port}")
    pre = vclient.presign(oss.GetObjectRequest(bucket=BUCKET, key=key))
    host = f"{BUCKET}.localhost:{emulator.port}"
    assert pre.url.startswith(f"http://{host}/"), pre.url
    url = pre.url.replace(f"http://{host}/", f"{emulator.base_url}/", 1)
    resp = requests.get(url, headers={"Host": host}, timeout=10)
    assert resp.status_code == 200, http_error(resp)
    assert resp.content == body


def test_presigned_head_returns_object_headers(client):
    key = f"conf/{unique('presign-head')}.bin"
    body = os.urandom(1000)
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=body))
    pre = client.presign(oss.HeadObjectRequest(bucket=BUCKET, key=key))
    resp = requests.head(pre.url, timeout=30)
    assert resp.status_code == 200, http_error(resp)
    assert resp.headers.get("Content-Length") == str(len(body))
    assert resp.headers.get("ETag") == md5_etag(body)


# --------------------------------------------------------------------------------------
# Multipart upload
# --------------------------------------------------------------------------------------


def _parts():
    # Every part but the last >= 100 KB (OSS minimum), the last one smaller.
    return [os.urandom(256 * KIB), os.urandom(256 * KIB), os.urandom(10 * KIB)]


def test_multipart_upload_completes_with_whole_object_crc64(client):
    key = f"conf/{unique('mpu')}/big file+1.bin"
    parts = _parts()
    whole = b"".join(parts)

    init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=key))
    assert init.upload_id and init.key == key and init.bucket == BUCKET

    uploaded = []
    for n, data in enumerate(parts, start=1):
        up = client.upload_part(oss.UploadPartRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=n, body=data))
        assert up.status_code == 200
        assert up.etag == md5_etag(data)
        assert up.hash_crc64 == crc64(data)
        uploaded.append(oss.UploadPart(part_number=n, etag=up.etag))

    done = client.complete_multipart_upload(oss.CompleteMultipartUploadRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id,
        complete_multipart_upload=oss.CompleteMultipartUpload(parts=uploaded)))
    assert done.status_code == 200
    assert done.key == key and done.bucket == BUCKET
    assert done.hash_crc64 == crc64(whole)
    # OSS multipart ETag: "<UPPERCASE HEX>-<number of parts>", not an MD5 of the object.
    assert re.fullmatch(r'"[0-9A-F]{32}-3"', done.etag or ""), done.etag

    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert got.body.read() == whole
    assert got.hash_crc64 == crc64(whole)
    assert got.etag == done.etag
    head = client.head_object(oss.HeadObjectRequest(bucket=BUCKET, key=key))
    assert head.object_type == "Multipart"
    assert head.content_length == len(whole)


def test_uploader_parallel_multipart_then_ranged_download_round_trips(client, tmp_path):
    # The SDK's managed uploader (parallel UploadPart, then Complete, with its own CRC-64
    # combine check) and downloader (parallel ranged GETs, CRC-64 check).
    key = f"conf/{unique('uploader')}/managed.bin"
    data = os.urandom(1024 * KIB + 123)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    up = client.uploader(part_size=256 * KIB, parallel_num=3).upload_file(
        oss.PutObjectRequest(bucket=BUCKET, key=key), str(src))
    assert up.status_code == 200
    assert up.hash_crc64 == crc64(data)
    assert re.fullmatch(r'"[0-9A-F]{32}-5"', up.etag or ""), up.etag
    dst = tmp_path / "dst.bin"
    down = client.downloader(part_size=200 * KIB, parallel_num=3).download_file(
        oss.GetObjectRequest(bucket=BUCKET, key=key), str(dst))
    assert down.written == len(data)
    assert dst.read_bytes() == data


def test_get_object_range_returns_206_slice_with_whole_object_crc(client):
    key = f"conf/{unique('range')}.bin"
    data = os.urandom(50 * KIB)
    client.put_object(oss.PutObjectRequest(bucket=BUCKET, key=key, body=data))
    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key, range_header="bytes=100-1099"))
    assert got.status_code == 206
    assert got.body.read() == data[100:1100]
    assert got.content_range == f"bytes 100-1099/{len(data)}"
    assert got.hash_crc64 == crc64(data)  # OSS: range GETs carry the whole object's CRC


def test_list_parts_lists_uploaded_parts_in_order(client):
    key = f"conf/{unique('listparts')}.bin"
    parts = _parts()
    init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=key))
    # Upload out of order: ListParts must still list ascending part numbers.
    for n in (3, 1, 2):
        client.upload_part(oss.UploadPartRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=n, body=parts[n - 1]))
    lp = client.list_parts(oss.ListPartsRequest(bucket=BUCKET, key=key, upload_id=init.upload_id))
    assert lp.status_code == 200
    assert lp.upload_id == init.upload_id
    assert [p.part_number for p in lp.parts] == [1, 2, 3]
    assert [p.size for p in lp.parts] == [len(p) for p in parts]
    assert [p.etag for p in lp.parts] == [md5_etag(p) for p in parts]
    assert lp.is_truncated is False
    client.abort_multipart_upload(oss.AbortMultipartUploadRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id))


def test_abort_multipart_upload_discards_upload(client):
    key = f"conf/{unique('abort')}.bin"
    init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=key))
    client.upload_part(oss.UploadPartRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=1, body=os.urandom(200 * KIB)))
    res = client.abort_multipart_upload(oss.AbortMultipartUploadRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id))
    assert res.status_code == 204

    err = sdk_error(client.list_parts, oss.ListPartsRequest(bucket=BUCKET, key=key, upload_id=init.upload_id))
    assert (err.status, err.code) == (404, "NoSuchUpload"), err
    err = sdk_error(client.upload_part, oss.UploadPartRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=2, body=b"late"))
    assert (err.status, err.code) == (404, "NoSuchUpload"), err
    err = sdk_error(client.get_object, oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert err.code == "NoSuchKey", err


def test_list_multipart_uploads_lists_open_uploads_under_prefix(client):
    prefix = f"conf/{unique('lmu')}/"
    ids = {}
    for name in ("a.bin", "b c.bin"):
        init = client.initiate_multipart_upload(
            oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=prefix + name))
        ids[prefix + name] = init.upload_id
    res = client.list_multipart_uploads(oss.ListMultipartUploadsRequest(bucket=BUCKET, prefix=prefix))
    assert res.status_code == 200
    assert {(u.key, u.upload_id) for u in (res.uploads or [])} == set(ids.items())
    for key, upload_id in ids.items():
        client.abort_multipart_upload(oss.AbortMultipartUploadRequest(
            bucket=BUCKET, key=key, upload_id=upload_id))
    res = client.list_multipart_uploads(oss.ListMultipartUploadsRequest(bucket=BUCKET, prefix=prefix))
    assert not res.uploads


def test_complete_multipart_upload_fails_with_entity_too_small_when_middle_part_small(client):
    key = f"conf/{unique('small')}.bin"
    init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=key))
    etags = []
    for n, data in enumerate([os.urandom(150 * KIB), os.urandom(10 * KIB), os.urandom(150 * KIB)], 1):
        up = client.upload_part(oss.UploadPartRequest(
            bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=n, body=data))
        etags.append(oss.UploadPart(part_number=n, etag=up.etag))
    err = sdk_error(client.complete_multipart_upload, oss.CompleteMultipartUploadRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id,
        complete_multipart_upload=oss.CompleteMultipartUpload(parts=etags)))
    assert (err.status, err.code) == (400, "EntityTooSmall"), err


def test_complete_multipart_upload_fails_with_invalid_part_when_etag_wrong(client):
    key = f"conf/{unique('badetag')}.bin"
    init = client.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(bucket=BUCKET, key=key))
    client.upload_part(oss.UploadPartRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id, part_number=1, body=b"x" * 1000))
    err = sdk_error(client.complete_multipart_upload, oss.CompleteMultipartUploadRequest(
        bucket=BUCKET, key=key, upload_id=init.upload_id,
        complete_multipart_upload=oss.CompleteMultipartUpload(
            parts=[oss.UploadPart(part_number=1, etag='"00000000000000000000000000000000"')])))
    assert (err.status, err.code) == (400, "InvalidPart"), err


# --------------------------------------------------------------------------------------
# PostObject V4 (policy signed the way Alibaba's app-server sample does it)
# --------------------------------------------------------------------------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign_post_policy(sts, conditions_extra=(), now=None, expire_in=datetime.timedelta(hours=1)):
    """Build V4 PostObject form fields exactly like the official Python app-server sample."""
    now = now or utc_now()
    x_oss_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = now.strftime("%Y%m%d")
    credential = f"{sts.access_key_id}/{day}/{REGION}/oss/aliyun_v4_request"
    policy = {
        "expiration": (now + expire_in).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "conditions": [
            {"bucket": BUCKET},
            {"x-oss-signature-version": "OSS4-HMAC-SHA256"},
            {"x-oss-credential": credential},
            {"x-oss-security-token": sts.security_token},
            {"x-oss-date": x_oss_date},
            *conditions_extra,
        ],
    }
    policy_b64 = base64.b64encode(json.dumps(policy).strip().encode()).decode()
    key = _hmac(("aliyun_v4" + sts.access_key_secret).encode(), day)
    key = _hmac(_hmac(_hmac(key, REGION), "oss"), "aliyun_v4_request")
    signature = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
    return {
        "policy": policy_b64,
        "x-oss-signature-version": "OSS4-HMAC-SHA256",
        "x-oss-credential": credential,
        "x-oss-date": x_oss_date,
        "x-oss-signature": signature,
        "x-oss-security-token": sts.security_token,
    }


def post_form(emulator, fields: dict, file_bytes: bytes, filename="upload.bin",
              file_type="application/octet-stream", virtual_hosted=False) -> requests.Response:
    # requests writes the `data` fields first and `files` last: the file is the last field.
    if virtual_hosted:
        url = f"{emulator.base_url}/"
        headers = {"Host": f"{BUCKET}.localhost:{emulator.port}"}
    else:
        url = f"{emulator.base_url}/{BUCKET}/"
        headers = {}
    return requests.post(url, data=list(fields.items()),
                         files={"file": (filename, file_bytes, file_type)},
                         headers=headers, timeout=30)


@pytest.mark.parametrize("virtual_hosted", [False, True], ids=["path-style", "virtual-hosted"])
def test_post_object_v4_succeeds_with_sts_signed_policy(emulator, sts, client, virtual_hosted):
    key = f"conf/{unique('post')}/表单 upload+1.txt"
    body = b"posted by a browser form\n" * 100
    fields = sign_post_policy(sts, [
        ["eq", "$success_action_status", "200"],
        ["starts-with", "$key", "conf/"],
        ["content-length-range", 1, 1024 * 1024],
    ])
    fields = {"key": key, "success_action_status": "200", "Content-Type": "text/plain", **fields}
    resp = post_form(emulator, fields, body, virtual_hosted=virtual_hosted)
    assert resp.status_code == 200, http_error(resp)
    assert resp.content == b""
    assert resp.headers.get("ETag") == md5_etag(body)
    assert resp.headers.get("x-oss-hash-crc64ecma") == crc64(body)
    assert len(resp.headers.get("x-oss-request-id", "")) == 24
    got = client.get_object(oss.GetObjectRequest(bucket=BUCKET, key=key))
    assert got.body.read() == body
    assert got.content_type == "text/plain"


def test_post_object_v4_returns_201_post_response_xml(emulator, sts):
    key = f"conf/{unique('post201')}.bin"
    body = os.urandom(5000)
    fields = {"key": key, "success_action_status": "201", **sign_post_policy(sts)}
    resp = post_form(emulator, fields, body)
    assert resp.status_code == 201, http_error(resp)
    root = ET.fromstring(resp.content)
    assert root.tag == "PostResponse"
    got = {child.tag: child.text for child in root}
    assert got.get("Bucket") == BUCKET
    assert got.get("Key") == key
    assert got.get("ETag") == md5_etag(body)
    assert got.get("Location")


def test_post_object_v4_returns_204_by_default(emulator, sts):
    key = f"conf/{unique('post204')}.bin"
    resp = post_form(emulator, {"key": key, **sign_post_policy(sts)}, b"abc")
    assert resp.status_code == 204, http_error(resp)


def test_post_object_v4_rejected_when_policy_condition_fails(emulator, sts):
    key = f"other/{unique('post-deny')}.bin"
    fields = sign_post_policy(sts, [["starts-with", "$key", "conf/"]])
    resp = post_form(emulator, {"key": key, **fields}, b"abc")
    err = http_error(resp)
    assert (err.status, err.code) == (403, "AccessDenied"), err
    assert "Policy" in err.fields.get("Message", ""), err


def test_post_object_v4_rejected_when_file_exceeds_content_length_range(emulator, sts):
    key = f"conf/{unique('post-big')}.bin"
    fields = sign_post_policy(sts, [["content-length-range", 1, 100]])
    resp = post_form(emulator, {"key": key, **fields}, b"x" * 101)
    err = http_error(resp)
    assert (err.status, err.code) == (400, "EntityTooLarge"), err


def test_post_object_v4_rejected_when_signature_char_changed(emulator, sts):
    key = f"conf/{unique('post-sig')}.bin"
    fields = sign_post_policy(sts)
    sig = fields["x-oss-signature"]
    fields["x-oss-signature"] = ("1" if sig[0] != "1" else "2") + sig[1:]
    resp = post_form(emulator, {"key": key, **fields}, b"abc")
    err = http_error(resp)
    assert (err.status, err.code) == (403, "SignatureDoesNotMatch"), err


def test_post_object_v4_rejected_when_policy_expired(emulator, sts):
    key = f"conf/{unique('post-exp')}.bin"
    fields = sign_post_policy(sts, expire_in=datetime.timedelta(seconds=-60))
    resp = post_form(emulator, {"key": key, **fields}, b"abc")
    err = http_error(resp)
    assert (err.status, err.code) == (403, "AccessDenied"), err
    assert "expired" in err.fields.get("Message", "").lower(), err
