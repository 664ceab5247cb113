"""Device passcodes, encrypted at rest with keys from the environment.

Fernet (AES with an HMAC, from `cryptography`) under the keys in
REPAIR_PASSCODE_KEYS, newest first: the newest encrypts, any of them decrypts,
so keys can be rotated. Without configured keys a key is derived from
SECRET_KEY (fine for development; `check --deploy` warns).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet():
    keys = settings.REPAIR_PASSCODE_KEYS or [
        base64.urlsafe_b64encode(
            hashlib.sha256(b"repair-passcodes:" + settings.SECRET_KEY.encode()).digest()
        ).decode()
    ]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(passcode: str) -> str:
    return _fernet().encrypt(passcode.encode()).decode() if passcode else ""


def decrypt(token: str) -> str | None:
    """The passcode, or None when no configured key opens it (a lost key)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None
