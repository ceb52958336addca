"""Authenticated encryption of secrets and RPC payloads.

AES-256-GCM. Ciphertexts are text with a version prefix:

* ``v2:<key id>:<base64>``: the AES key is derived from an operator's
  secret by HKDF-SHA256 with a label per *purpose* (``rpc-control``,
  ``instance-key``, ``region-mapping``, ``job-store``...), so that one
  secret never yields the same key for two uses. The key id is a
  fingerprint of the secret (also through HKDF, with a label of its own),
  so a reader holding several secrets (a :class:`KeyRing` during a
  rotation) knows which one opens a ciphertext without trying them all.
  The purpose and the key id are part of the associated data.
* ``v1:<base64>``: the older form (AES key = SHA-256 of the secret, no
  key id), still read for one release; never written.
"""

import base64
import functools
import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_V1 = 'v1:'
_V2 = 'v2:'
_NONCE_BYTES = 12
_SALT = b'trove-mr key derivation v2'
GENERIC = 'generic'


class DecryptionError(ValueError):
    """The ciphertext was tampered with, or the key is not the right one."""


def _hkdf(secret, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT,
                info=info).derive(secret.encode('utf-8'))


# Sized for a conductor opening the messages of every guest of a cell
# (its key cache holds 50,000 instance keys): past the cache, each
# message would pay two HKDF derivations again.
_CACHED_SECRETS = 65536


@functools.lru_cache(maxsize=_CACHED_SECRETS)
def key_id(secret):
    """The public fingerprint of ``secret`` (12 hex digits)."""
    return _hkdf(secret, b'trove-mr key id', 6).hex()


@functools.lru_cache(maxsize=_CACHED_SECRETS)
def _derived(secret, purpose):
    return AESGCM(_hkdf(secret, b'trove-mr aead key|' +
                       purpose.encode('utf-8')))


def derive_bytes(secret, purpose, length=32):
    """``length`` bytes derived from ``secret`` for ``purpose`` (HKDF)."""
    return _hkdf(secret, b'trove-mr derived|' + purpose.encode('utf-8'),
                 length)


def _ad_v2(purpose, kid, associated_data):
    return b'trove-mr v2|%s|%s|' % (purpose.encode('utf-8'),
                                    kid.encode('ascii')) + \
        (associated_data or b'')


def _legacy_aead(secret):
    return AESGCM(hashlib.sha256(secret.encode('utf-8')).digest())


class KeyRing:
    """The secrets of one purpose: the first encrypts, all decrypt.

    During a rotation the new secret comes first and the old ones stay
    behind it until everything was re-encrypted (``trove-mr-manage keys
    rewrap``) and they are retired.
    """

    def __init__(self, secrets_, purpose=GENERIC):
        self.secrets = [s for s in secrets_ if s]
        if not self.secrets:
            raise ValueError('an encryption key is required')
        self.purpose = purpose
        self._by_id = {}
        for secret in self.secrets:
            self._by_id.setdefault(key_id(secret), secret)

    @property
    def current_id(self):
        return key_id(self.secrets[0])

    @property
    def key_ids(self):
        return list(self._by_id)

    def encrypt(self, plaintext, associated_data=None):
        if isinstance(plaintext, str):
            plaintext = plaintext.encode('utf-8')
        secret = self.secrets[0]
        kid = key_id(secret)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = _derived(secret, self.purpose).encrypt(
            nonce, plaintext, _ad_v2(self.purpose, kid, associated_data))
        return '%s%s:%s' % (_V2, kid, base64.urlsafe_b64encode(
            nonce + sealed).decode('ascii'))

    def decrypt_bytes(self, ciphertext, associated_data=None):
        if not isinstance(ciphertext, str):
            raise DecryptionError('not a trove-mr ciphertext')
        try:
            if ciphertext.startswith(_V2):
                kid, _, body = ciphertext[len(_V2):].partition(':')
                secret = self._by_id.get(kid)
                if secret is None:
                    raise DecryptionError('cannot decrypt: no key with id %s '
                                          'here' % kid)
                raw = base64.urlsafe_b64decode(body)
                return _derived(secret, self.purpose).decrypt(
                    raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                    _ad_v2(self.purpose, kid, associated_data))
            if ciphertext.startswith(_V1):
                raw = base64.urlsafe_b64decode(ciphertext[len(_V1):])
                for secret in self.secrets:
                    try:
                        return _legacy_aead(secret).decrypt(
                            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                            associated_data)
                    except InvalidTag:
                        continue
                raise DecryptionError('cannot decrypt: no key here opens '
                                      'this v1 text')
        except (InvalidTag, ValueError) as exc:
            if isinstance(exc, DecryptionError):
                raise
            raise DecryptionError('cannot decrypt: wrong key or corrupted '
                                  'data') from exc
        raise DecryptionError('not a trove-mr ciphertext')

    def decrypt(self, ciphertext, associated_data=None):
        return self.decrypt_bytes(ciphertext,
                                  associated_data).decode('utf-8')

    def is_current(self, ciphertext):
        """Whether ``ciphertext`` is already v2 under the first secret."""
        return key_id_of(ciphertext) == self.current_id

    def rewrap(self, ciphertext, associated_data=None):
        """``ciphertext`` under the first secret (unchanged if it is)."""
        if self.is_current(ciphertext):
            return ciphertext
        return self.encrypt(self.decrypt_bytes(ciphertext, associated_data),
                            associated_data)


def key_id_of(ciphertext):
    """The key id a v2 ciphertext names, or None (v1 or not ours)."""
    if isinstance(ciphertext, str) and ciphertext.startswith(_V2):
        return ciphertext[len(_V2):].partition(':')[0]
    return None


def _ring(key, purpose):
    if isinstance(key, KeyRing):
        return key
    if not key:
        raise ValueError('an encryption key is required')
    return KeyRing([key], purpose)


def encrypt(key, plaintext, associated_data=None, purpose=GENERIC):
    """Encrypt ``plaintext`` (str or bytes) under ``key`` (a secret or a
    KeyRing); returns v2 text."""
    return _ring(key, purpose).encrypt(plaintext, associated_data)


def decrypt_bytes(key, ciphertext, associated_data=None, purpose=GENERIC):
    """Decrypt what :func:`encrypt` returned (v2, or v1 of the previous
    release); raises DecryptionError."""
    return _ring(key, purpose).decrypt_bytes(ciphertext, associated_data)


def decrypt(key, ciphertext, associated_data=None, purpose=GENERIC):
    """Decrypt to text."""
    return decrypt_bytes(key, ciphertext, associated_data,
                         purpose).decode('utf-8')


def encrypt_v1(key, plaintext, associated_data=None):
    """The older form, for RPC messages to services of the previous
    release during a rolling upgrade (``rpc_envelope_version = 1``)."""
    secret = key.secrets[0] if isinstance(key, KeyRing) else key
    if not secret:
        raise ValueError('an encryption key is required')
    if isinstance(plaintext, str):
        plaintext = plaintext.encode('utf-8')
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _legacy_aead(secret).encrypt(nonce, plaintext, associated_data)
    return _V1 + base64.urlsafe_b64encode(nonce + sealed).decode('ascii')


def is_encrypted(value):
    return isinstance(value, str) and (value.startswith(_V2) or
                                       value.startswith(_V1))


def generate_key():
    """A fresh random key, e.g. a per-instance RPC key."""
    return secrets.token_urlsafe(32)
