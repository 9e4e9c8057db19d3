"""Encryption at rest for API SecretKeys (TC3 verification needs the plaintext back)."""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    configured = [k.strip() for k in settings.CREDENTIAL_ENCRYPTION_KEY.split(",") if k.strip()]
    if configured:
        # Several comma-separated keys allow rotation: the first encrypts, all decrypt.
        return MultiFernet([Fernet(k.encode()) for k in configured])
    derived = hashlib.sha256(f"ronghe:credential-key:{settings.SECRET_KEY}".encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(derived))])


def encrypt_secret(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("stored secret cannot be decrypted with the configured key") from exc
