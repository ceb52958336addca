import pytest

from trove_mr.common import crypto


def test_round_trip_and_ciphertext_hides_plaintext():
    secret = 'mysql+pymysql://root:s3cret@db.example/trove'
    sealed = crypto.encrypt('key-1', secret)
    assert 's3cret' not in sealed
    assert crypto.is_encrypted(sealed)
    assert crypto.decrypt('key-1', sealed) == secret


def test_same_plaintext_encrypts_differently_each_time():
    assert crypto.encrypt('k', 'x') != crypto.encrypt('k', 'x')


def test_wrong_key_is_refused():
    sealed = crypto.encrypt('key-1', 'payload')
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt('key-2', sealed)


def test_tampered_ciphertext_is_refused():
    sealed = crypto.encrypt('key-1', 'payload')
    body = sealed[len('v1:'):]
    # A character in the middle: the last ones may carry base64 padding
    # bits that decode to the same bytes.
    middle = len(body) // 2
    flipped = body[:middle] + ('A' if body[middle] != 'A' else 'B') + \
        body[middle + 1:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt('key-1', 'v1:' + flipped)


def test_plaintext_is_not_accepted_as_ciphertext():
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt('key-1', 'rabbit://guest:guest@localhost/')


def test_generated_keys_are_distinct_and_long():
    keys = {crypto.generate_key() for _ in range(50)}
    assert len(keys) == 50
    assert all(len(k) >= 40 for k in keys)
