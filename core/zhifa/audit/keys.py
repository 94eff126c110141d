"""The sealing key: an Ed25519 key pair kept outside the database.

The private key is a PEM (PKCS #8) file readable by its owner only (mode 0600); the public key is a
PEM file beside it (``KEY.pub``) that the department publishes with its checkpoints. Whoever holds
only the database (and its application role) cannot sign a checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from zhifa.errors import InputError

KEY_ENV = "ZHIFA_SEAL_KEY"


def public_hex(key: Ed25519PublicKey) -> str:
    """The 32 raw bytes of a public key, in hex: how checkpoints name their signer."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def generate(path: Path) -> tuple[Path, Ed25519PublicKey]:
    """Write a new key pair: the private key to ``path`` (mode 0600), the public key to
    ``path.pub``. Refuses to overwrite either file."""
    pub_path = path.with_name(path.name + ".pub")
    for p in (path, pub_path):
        if p.exists():
            raise InputError(
                f"{p} already exists; a sealing key is never overwritten, choose another path"
            )
    if not path.parent.is_dir():
        raise InputError(f"cannot write the key to {path}: directory {path.parent} does not exist")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)  # whatever the umask
    public = private.public_key()
    pub_path.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pub_path, public


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"cannot read the {what} {path}: {reason}; give the path of the key file "
            "written by `zhifa audit keygen`"
        ) from None


def load_private(path: Path) -> Ed25519PrivateKey:
    """The private sealing key in ``path``; one sentence if it is missing or not an Ed25519 key."""
    data = _read(path, "sealing key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(
            f"{path} is not an unencrypted Ed25519 private key in PEM; "
            "write one with `zhifa audit keygen PATH`"
        )
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    """The public key in ``path`` (PEM, as written to ``KEY.pub`` by ``zhifa audit keygen``)."""
    data = _read(path, "public key")
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(
            f"{path} is not an Ed25519 public key in PEM; give the KEY.pub file written by "
            "`zhifa audit keygen KEY`"
        )
    return key
