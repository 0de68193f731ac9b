"""The key that signs PracticeGate's OpenID Connect ID tokens and logout tokens.

In production it comes from the environment (`OIDC_RSA_PRIVATE_KEY`, a PEM; `check --deploy`
refuses to pass without it). For local development (`make demo`, `DEBUG=1`) one is generated
once and kept in a file that git ignores, so tokens stay valid across restarts.
Read by config.settings before the apps load: nothing here may import Django models.
"""

import os
import re
from pathlib import Path

_PEM_BLOCK = re.compile(
    r"-----BEGIN (?P<kind>[A-Z ]*PRIVATE KEY)-----.+?-----END (?P=kind)-----", re.DOTALL
)


def pem_blocks(text: str) -> list[str]:
    """Each PEM private key in `text` (keys may be pasted one after another, as in
    OIDC_RSA_PRIVATE_KEYS_INACTIVE). An environment that cannot hold line breaks may write them
    as a literal backslash-n."""
    text = text.replace("\\n", "\n")
    return [match.group(0) + "\n" for match in _PEM_BLOCK.finditer(text)]


def local_signing_key(path: Path) -> str:
    """The development key kept at `path`, made on first use (RSA 2048, owner-only file)."""
    if path.exists():
        return path.read_text()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside, then linked into place only if no key is there yet: of two processes
    # starting at once, one key wins and both read it (never half a file, never two keys).
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(pem)
    try:
        os.link(partial, path)
    except FileExistsError:
        pass
    finally:
        partial.unlink()
    return path.read_text()
