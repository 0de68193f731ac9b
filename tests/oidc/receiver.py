"""An application's back-channel logout endpoint, for the tests: a small HTTP server of its own
on a loopback port that keeps each logout token POSTed to it, and answers what the test says.

It verifies nothing itself: `logout_claims` checks a token as an application must (OpenID
Connect Back-Channel Logout 1.0, section 2.6): the signature against PracticeGate's published
JWKS, the issuer, the audience, the times, the event, `sub` and `sid`, no `nonce`.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from jwcrypto import jws, jwt

from tests.oidc.helpers import jwks

EVENT = "http://schemas.openid.net/event/backchannel-logout"


class Receiver:
    def __init__(self, *, status: int = 200, delay: float = 0.0):
        self.tokens: list[str] = []
        self.status = status
        self.delay = delay
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                # The answer is decided before the token is kept: a test that changes it once
                # it sees the token changes the next answer, never this one.
                status = receiver.status
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                time.sleep(receiver.delay)
                form = parse_qs(body)
                receiver.tokens.extend(form.get("logout_token", []))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, seconds: float = 10.0) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.tokens) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.tokens


def logout_claims(token: str, *, audience: str, issuer: str = "http://testserver/o"):
    """The claims of a logout token, checked as the application must check them."""
    header = jws.JWS()
    header.deserialize(token)
    assert header.jose_header["typ"] == "logout+jwt"
    assert header.jose_header["alg"] == "RS256"
    checked = jwt.JWT(
        jwt=token,
        key=jwks(),
        check_claims={"iss": issuer, "aud": audience, "exp": None, "iat": None, "jti": None},
        expected_type="JWS",
    )
    claims = json.loads(checked.claims)
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["sub"] and claims["sid"]
    assert claims["exp"] - claims["iat"] <= 120
    return claims
