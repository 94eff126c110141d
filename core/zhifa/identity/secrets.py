"""How credentials are kept. Passwords: argon2id (memory-hard) through ``argon2-cffi`` with its
default parameters, rehashed on the next login when those change. Tokens: ``zhifa_ID_SECRET``,
where SECRET is 32 random bytes; only the SHA-256 of SECRET is stored (a random secret of that
length needs no slow hash), and it is compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets as random
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from zhifa.errors import AuthError, InputError

MIN_PASSWORD = 10
"""The shortest password accepted, in characters."""
MAX_PASSWORD = 1024
TOKEN_PREFIX = "zhifa_"

_HASHER = PasswordHasher()


def check_password_text(password: str) -> None:
    """:class:`InputError` when ``password`` is not acceptable as a new password."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            f"the password has {len(password)} characters; a password needs at least "
            f"{MIN_PASSWORD} — choose a longer one (a phrase of several words is easy to remember)"
        )
    if len(password) > MAX_PASSWORD:
        raise InputError(
            f"the password is longer than {MAX_PASSWORD} characters; choose a shorter one"
        )
    if not password.strip():
        raise InputError("the password is only spaces; choose one with letters or digits")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _dummy() -> str:
    return _HASHER.hash("zhifa: no such officer")


def password_matches(stored: str | None, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` hashes. With no stored hash a dummy one is
    checked, so an unknown officer takes as long to refuse as a wrong password."""
    try:
        return _HASHER.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)


def new_secret() -> tuple[str, str]:
    """A fresh token secret and the hash that is stored for it."""
    secret = random.token_urlsafe(32)
    return secret, secret_hash(secret)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_text(credential_id: int, secret: str) -> str:
    return f"{TOKEN_PREFIX}{credential_id}_{secret}"


def parse_token(text: str) -> tuple[int, str]:
    """The credential id and secret of a token; :class:`AuthError` when it is not one."""
    body = text.strip()
    if body.startswith(TOKEN_PREFIX):
        number, _, secret = body[len(TOKEN_PREFIX) :].partition("_")
        if number.isdigit() and secret and len(number) < 19:
            return int(number), secret
    raise AuthError(
        "the token given is not a zhifa token (they look like zhifa_12_…); copy it again from "
        "`zhifa auth token issue`, or log in with `zhifa login`"
    )


def same_secret(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, secret_hash(secret))
