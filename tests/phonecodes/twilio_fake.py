"""A stand-in for Twilio's REST API at the HTTP layer.

The real twilio client builds each request (URL, form fields, auth) and parses each answer into
its own objects or its own exceptions (TwilioRestException with Twilio's error code); only the
network is replaced. Answers are scripted per test: "ok", an error, or a timeout.
"""

import json
import uuid

import requests
from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token"
FROM_NUMBER = "+12025550100"


class FakeTwilioHttpClient(HttpClient):
    # Shared by every instance (the backend makes one per message); reset by the fixture.
    requests: list[TwilioRequest] = []
    script: list = []

    def __init__(self):
        super().__init__(logger=None, is_async=False, timeout=None)

    @classmethod
    def reset(cls):
        cls.requests = []
        cls.script = []

    @classmethod
    def answer_next(cls, *outcomes):
        """Queue outcomes: "ok", "timeout", or (http_status, twilio_code, message)."""
        cls.script.extend(outcomes)

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kwargs):
        type(self).requests.append(
            TwilioRequest(method=method, url=uri, params=params, data=data, auth=auth)
        )
        outcome = type(self).script.pop(0) if type(self).script else "ok"
        if outcome == "timeout":
            raise requests.exceptions.ReadTimeout("Read timed out. (read timeout=10)")
        if outcome == "ok":
            return Response(201, json.dumps(_created(uri, data)))
        status, code, message = outcome
        return Response(
            status,
            json.dumps(
                {
                    "code": code,
                    "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status,
                }
            ),
        )


def _created(uri: str, data: dict) -> dict:
    kind = "CA" if uri.endswith("/Calls.json") else "SM"
    sid = kind + uuid.uuid4().hex
    return {
        "account_sid": ACCOUNT_SID,
        "api_version": "2010-04-01",
        "body": data.get("Body"),
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": data.get("From"),
        "sid": sid,
        "status": "queued",
        "to": data.get("To"),
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/{uri.rsplit('/', 1)[-1][:-5]}/{sid}.json",
    }
