"""A PS256 client assertion minted with PyJWT is exchanged for a bearer token that reads data."""

import json
import time
import urllib.parse
import urllib.request

import jwt


def post_form(url, fields):
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)


def test_ps256_assertion_then_bearer_read(emulator):
    oauth2 = emulator["oauth2"]
    token_url = f"{emulator['base_url']}/services/rest/auth/oauth2/v1/token"
    with open(oauth2["private_key_file"], "rb") as f:
        key = f.read()
    now = int(time.time())
    assertion = jwt.encode(
        {"iss": oauth2["client_id"], "scope": ["rest_webservices"], "aud": token_url, "iat": now, "exp": now + 3600},
        key,
        algorithm="PS256",
        headers={"kid": oauth2["certificate_id"], "typ": "JWT"},
    )
    token = post_form(
        token_url,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert token["expires_in"] == 3600
    req = urllib.request.Request(
        f"{emulator['base_url']}/services/rest/query/v1/suiteql?limit=10",
        data=json.dumps({"q": "SELECT id FROM customer ORDER BY id"}).encode(),
        headers={
            "Authorization": f"Bearer {token['access_token']}",
            "Prefer": "transient",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(req) as resp:
        page = json.load(resp)
    assert page["count"] == 10
    assert page["totalResults"] == 2500
