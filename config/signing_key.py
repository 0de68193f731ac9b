"""The key that signs PracticeGate's OpenID Connect ID tokens and logout tokens.

In production it comes from the environment (`OIDC_RSA_PRIVATE_KEY`, a PEM; `check --deploy`
refuses to pass without it). For local development (`make demo`, `DEBUG=1`) one is generated
once and kept in a file that git ignores (config.local_secret), so tokens stay valid across
restarts.
Read by config.settings before the apps load: nothing here may import Django models.
"""

import re
from pathlib import Path

from config.local_secret import local_secret

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
    return local_secret(path, _new_private_key)


def _new_private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
