"""Second oracle for the ali-oss cross-check: the official Python SDK `alibabacloud-oss-v2`.

Reads a JSON array of requests on stdin and writes a JSON array of results on stdout, in the same
order. Every value comes from the SDK's own `SignerV4` with a fixed signing time; nothing here
re-implements a signing rule.

Why a second SDK: where ali-oss departs from the other official SDKs (oss-v4-signing.md section 10:
an empty query value signed as `key=` in `signatureUrlV4`, `localeCompare` query ordering, string
post policies re-serialised), the cross-check asserts the majority's value, and this script
computes it.

Request shapes (all strings are the exact text to sign):
  {"kind": "header" | "presign", "method", "bucket", "key" (or null), "region" (no "oss-" prefix),
   "accessKeyId", "accessKeySecret", "securityToken" (or null), "signTimeUnix",
   "headers": [[name, value], ...], "query": [[name, value or null], ...],
   "additionalHeaders": [...], "expires" (presign only)}
  {"kind": "post", "region", "accessKeySecret", "signTimeUnix", "policyBase64"}

Inputs are built the way the SDK's own client builds them (`_client.py`: `build_request_context`):
the query is `urlencode(params, quote_via=quote)` appended to the URL, headers go into
`HttpRequest.headers`. A query parameter without a value (JS `null`) is given as '' (the SDK has
no separate null; both sign as the bare name).
"""
import datetime
import json
import sys
from urllib.parse import quote, urlencode, urlsplit, parse_qsl

from alibabacloud_oss_v2.signer.v4 import SignerV4
from alibabacloud_oss_v2.types import Credentials, HttpRequest, SigningContext
from alibabacloud_oss_v2 import _version


def _request(req):
    url = f"https://{req['bucket']}.oss-{req['region']}.aliyuncs.com/"
    if req.get('key') is not None:
        url += quote(req['key'])
    params = [(k, '' if v is None else v) for k, v in req.get('query', [])]
    if params:
        url += '?' + urlencode(params, quote_via=quote)
    return HttpRequest(method=req['method'], url=url, headers=dict(req.get('headers', [])))


def _context(req):
    when = datetime.datetime.fromtimestamp(req['signTimeUnix'], tz=datetime.timezone.utc)
    ctx = SigningContext(
        product='oss',
        region=req['region'],
        bucket=req['bucket'],
        key=req.get('key'),
        request=_request(req),
        credentials=Credentials(req['accessKeyId'], req['accessKeySecret'],
                                req.get('securityToken')),
        signing_time=when,
        additional_headers=set(req.get('additionalHeaders') or []) or None,
    )
    return ctx, when


def sign_one(req):
    kind = req['kind']
    signer = SignerV4()
    if kind == 'post':
        when = datetime.datetime.fromtimestamp(req['signTimeUnix'], tz=datetime.timezone.utc)
        date = when.strftime('%Y%m%d')
        # The SDK's post_object sample signs the Base64 policy with the V4 signing key; this is the
        # signer's own HMAC chain (`_calc_signature`), the one `sign()` uses.
        sig = signer._calc_signature(access_key_secrect=req['accessKeySecret'], date=date,
                                     region=req['region'], product='oss',
                                     string_to_sign=req['policyBase64'])
        return {'signature': sig}

    ctx, when = _context(req)
    if kind == 'header':
        signer.sign(ctx)
        h = ctx.request.headers
        return {'authorization': h['Authorization'], 'x-oss-date': h['x-oss-date'],
                'stringToSign': ctx.string_to_sign}
    if kind == 'presign':
        ctx.auth_method_query = True
        ctx.expiration_time = when + datetime.timedelta(seconds=req['expires'])
        signer.sign(ctx)
        q = dict(parse_qsl(urlsplit(ctx.request.url).query, keep_blank_values=True))
        return {'signature': q['x-oss-signature'], 'url': ctx.request.url,
                'stringToSign': ctx.string_to_sign}
    raise ValueError(f'unknown kind {kind!r}')


def main():
    if sys.argv[1:] == ['--version']:
        print(_version.VERSION)
        return
    reqs = json.load(sys.stdin)
    out = []
    for req in reqs:
        try:
            out.append(sign_one(req))
        except Exception as e:  # reported per case, never hidden
            out.append({'error': f'{type(e).__name__}: {e}'})
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == '__main__':
    main()
