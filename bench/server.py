"""Real gunicorn processes, an HTTP client that talks to them as our proxy would, and the memory
their workers used.

Used by the bench (the CSV export through gunicorn) and by tests/test_two_servers.py (two app
servers on one database and one Redis).

The client speaks plain HTTP to gunicorn from 127.0.0.1, the way a TLS-terminating proxy on the
same host does: every request carries `X-Forwarded-Proto: https` (believed because the server is
started with TRUSTED_PROXIES=127.0.0.1), and, when the client pretends to be somewhere else,
`X-Forwarded-For` with that address. With DEBUG off the session cookie is Secure; an HTTP client
library would not send it back over plain HTTP, so cookies are carried by hand.
"""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

SETTINGS_MODULE = "bench.server_settings"
# What gunicorn.conf.py sets (gunicorn's own default too).
GUNICORN_TIMEOUT_SECONDS = 30
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# The environment of the parent that must not leak into a server's configuration.
_OWN_VARIABLES = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_",
    "TRUSTED_PROXIES",
    "SITE_URL",
    "SECURE_",
    "EMAIL_",
    "SMS_",
    "TWILIO_",
    "LOG_LEVEL",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(*, database_url: str, secret_key: str, redis_url: str = "") -> dict:
    """Production settings (DEBUG off) for a server on 127.0.0.1 behind a proxy at 127.0.0.1."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_OWN_VARIABLES)}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DEBUG="0",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1",
        TRUSTED_PROXIES="127.0.0.1",
        SITE_URL="https://127.0.0.1",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        SMS_BACKEND="none",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@dataclass
class Server:
    port: int
    process: subprocess.Popen
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The worker processes of this gunicorn (the children of its master)."""
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            # The process name is in parentheses and may hold spaces; the parent pid follows it.
            fields = text.rpartition(")")[2].split()
            if len(fields) > 1 and int(fields[1]) == self.process.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def workers_gone(self, pids: list[int], *, wait: float = 0) -> list[int]:
        """Those of `pids` that are no longer running workers (killed: exited, or dead and not
        yet reaped); waits up to `wait` seconds for the master to notice."""
        deadline = time.monotonic() + wait
        while True:
            gone = [pid for pid in pids if not _running(pid)]
            if gone or time.monotonic() >= deadline:
                return gone
            time.sleep(0.2)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def memory_kib(pid: int, field_name: str) -> int:
    """A field of /proc/<pid>/status in KiB: VmHWM is the peak resident memory so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1])
    raise LookupError(f"{field_name} not in /proc/{pid}/status")


def peak_reset(pid: int) -> int:
    """Start the process's peak resident memory (VmHWM) again from its resident memory now
    (Linux: "5" to /proc/<pid>/clear_refs, allowed for our own processes); that, in KiB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return memory_kib(pid, "VmHWM")


def peaks(pids: list[int]) -> dict[int, int]:
    """The peak resident memory (KiB) of those of `pids` still running."""
    found = {}
    for pid in pids:
        try:
            found[pid] = memory_kib(pid, "VmHWM")
        except (OSError, LookupError):
            continue  # gone, or dead and waiting to be reaped (no memory left to read)
    return found


@contextmanager
def gunicorn(
    *,
    env: dict,
    log_dir: Path,
    workers: int = 2,
    timeout: int | None = None,
    deployed: bool = False,
) -> Iterator[Server]:
    """`gunicorn config.wsgi` on a free port of 127.0.0.1, stopped when the block ends.

    `deployed`: gunicorn.conf.py alone decides the workers (WEB_CONCURRENCY), as in production;
    `workers` is then only how many to wait for."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        *([] if deployed else ["--workers", str(workers)]),
        # Not the one control socket in ~/.gunicorn/ that every gunicorn of this user shares.
        "--no-control-socket",
    ]
    if timeout is not None:
        command += ["--timeout", str(timeout)]
    log_path = Path(log_dir) / f"gunicorn-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            command,
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(port=port, process=process, log_path=log_path)
    try:
        _wait_until_ready(server, workers)
        yield server
    finally:
        _stop(process)


def _wait_until_ready(server: Server, workers: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{server.log_tail()}")
        try:
            status = HttpClient(server.port).get("/healthz").status
        except OSError:
            status = 0
        if status == 200 and len(server.worker_pids()) >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {seconds:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


@dataclass
class HttpClient:
    """One browser talking to one server through our (pretend) proxy; cookies by hand."""

    port: int
    client_address: str = ""  # sent as X-Forwarded-For; "" = the proxy's own address
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 60

    def on(self, port: int) -> "HttpClient":
        """The same browser (the same cookies, shared) talking to another server."""
        return HttpClient(
            port=port,
            client_address=self.client_address,
            cookies=self.cookies,
            timeout=self.timeout,
        )

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"X-Forwarded-Proto": "https", "User-Agent": "practicegate-bench"}
        if self.client_address:
            headers["X-Forwarded-For"] = self.client_address
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember(self, response: http.client.HTTPResponse) -> None:
        for value in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    @contextmanager
    def open(
        self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None
    ) -> Iterator[http.client.HTTPResponse]:
        """The response, unread: for streaming a long body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body or None, headers=self._headers(headers))
            response = connection.getresponse()
            self._remember(response)
            yield response
        finally:
            connection.close()

    @contextmanager
    def stream(
        self, path: str, *, slow_link: bool = False
    ) -> Iterator[tuple[int, Iterator[bytes]]]:
        """GET `path` over HTTP/1.0, as nginx asks its upstream by default: the status, and the
        body's bytes as they arrive (the server ends the body by closing the connection).

        For long bodies: nothing to decode on the way (HTTP/1.1 would frame every row the
        export yields as a chunk, and parsing a million chunk headers in Python here would
        slow the reading side down, on the same cores as the server).

        `slow_link` reads as a client on a slow line would (a small receive buffer, 64 KiB at a
        time, 20 ms apart: about 3 MiB/s), so the server's worker is busy sending for longer."""
        headers = "".join(f"{k}: {v}\r\n" for k, v in self._headers().items())
        request = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{self.port}\r\n{headers}\r\n"
        with socket.socket() as sock:
            if slow_link:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
            sock.settimeout(self.timeout)
            sock.connect(("127.0.0.1", self.port))
            sock.sendall(request.encode("latin-1"))
            head = b""
            while b"\r\n\r\n" not in head:
                data = sock.recv(65536)
                if not data:
                    raise http.client.IncompleteRead(head)
                head += data
            head, _, first = head.partition(b"\r\n\r\n")
            status = int(head.split(None, 2)[1])

            def body():
                if first:
                    yield first
                while data := sock.recv(1 << 16 if slow_link else 1 << 20):
                    yield data
                    if slow_link:
                        time.sleep(0.02)

            yield status, body()

    def request(self, method: str, path: str, **kwargs) -> Response:
        with self.open(method, path, **kwargs) as response:
            return Response(response.status, response.getheaders(), response.read())

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def csrf_token(self, path: str) -> str:
        """Load the form at `path`, as a browser does before posting it: its CSRF token."""
        page = self.get(path)
        found = _CSRF_INPUT.search(page.text)
        if found is None:
            raise RuntimeError(f"No CSRF token on {path} (status {page.status}).")
        return found.group(1)

    def post_form(self, path: str, data: dict, *, token: str = "") -> Response:
        """A form POST as a browser sends it: the form's CSRF token (loaded first unless given)
        and the Origin header."""
        token = token or self.csrf_token(path)
        body = urlencode({**data, "csrfmiddlewaretoken": token}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://127.0.0.1:{self.port}",
        }
        return self.request("POST", path, body=body, headers=headers)

    def sign_in(self, practice_code: str, username: str, password: str) -> Response:
        return self.post_form(
            f"/p/{practice_code}/login/", {"username": username, "password": password}
        )
