"""Reviewers sign in with a password checked against scrypt hashes from settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from pipeline.settings import Settings

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except ValueError:
        return False
    return scheme == "scrypt" and hmac.compare_digest(actual, expected)


def authenticate(settings: Settings, user: str, password: str) -> bool:
    encoded = settings.review_users.get(user)
    # Hash even for an unknown user, so timing does not tell which names exist.
    return verify_password(password, encoded or hash_password("")) and encoded is not None


def session_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept in home (readable by its owner only)."""
    if settings.review_secret:
        return settings.review_secret
    path = settings.home / "review-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()
