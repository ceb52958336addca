"""Authenticated encryption of secrets and RPC payloads.

AES-256-GCM with a key derived from an operator-supplied passphrase by
SHA-256. Ciphertexts are URL-safe base64 text with a version prefix so that
the scheme can change without ambiguity.
"""

import base64
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PREFIX = 'v1:'
_NONCE_BYTES = 12


class DecryptionError(ValueError):
    """The ciphertext was tampered with, or the key is not the right one."""


def _aead(key):
    if not key:
        raise ValueError('an encryption key is required')
    return AESGCM(hashlib.sha256(key.encode('utf-8')).digest())


def encrypt(key, plaintext, associated_data=None):
    """Encrypt ``plaintext`` (str or bytes) under ``key``; returns text."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode('utf-8')
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(key).encrypt(nonce, plaintext, associated_data)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode('ascii')


def decrypt_bytes(key, ciphertext, associated_data=None):
    """Decrypt what :func:`encrypt` returned; raises DecryptionError."""
    if not isinstance(ciphertext, str) or not ciphertext.startswith(_PREFIX):
        raise DecryptionError('not a trove-mr ciphertext')
    try:
        raw = base64.urlsafe_b64decode(ciphertext[len(_PREFIX):])
        return _aead(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                  associated_data)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError('cannot decrypt: wrong key or corrupted '
                              'data') from exc


def decrypt(key, ciphertext, associated_data=None):
    """Decrypt to text."""
    return decrypt_bytes(key, ciphertext, associated_data).decode('utf-8')


def is_encrypted(value):
    return isinstance(value, str) and value.startswith(_PREFIX)


def generate_key():
    """A fresh random key, e.g. a per-instance RPC key."""
    return secrets.token_urlsafe(32)
