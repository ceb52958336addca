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


def test_new_texts_are_v2_and_name_their_key():
    sealed = crypto.encrypt('key-1', 'payload')
    assert sealed.startswith('v2:%s:' % crypto.key_id('key-1'))
    assert crypto.key_id_of(sealed) == crypto.key_id('key-1')
    assert crypto.key_id('key-1') != crypto.key_id('key-2')
    assert 'key-1' not in crypto.key_id('key-1')


def test_one_secret_gives_a_key_per_purpose():
    sealed = crypto.encrypt('key-1', 'payload', purpose='region-mapping')
    assert crypto.decrypt('key-1', sealed,
                          purpose='region-mapping') == 'payload'
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt('key-1', sealed, purpose='instance-key')


def test_associated_data_binds_the_text_to_its_row():
    sealed = crypto.encrypt('key-1', 'payload', b'row-1')
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt('key-1', sealed, b'row-2')


def test_ring_writes_with_the_first_and_reads_every_secret():
    old = crypto.KeyRing(['old'], 'p')
    sealed_old = old.encrypt('a', b'ad')
    ring = crypto.KeyRing(['new', 'old'], 'p')
    assert ring.decrypt(sealed_old, b'ad') == 'a'
    assert not ring.is_current(sealed_old)
    rewrapped = ring.rewrap(sealed_old, b'ad')
    assert crypto.key_id_of(rewrapped) == crypto.key_id('new')
    assert ring.is_current(rewrapped)
    assert ring.rewrap(rewrapped, b'ad') is rewrapped
    assert crypto.KeyRing(['new'], 'p').decrypt(rewrapped, b'ad') == 'a'
    with pytest.raises(crypto.DecryptionError, match='no key with id'):
        crypto.KeyRing(['new'], 'p').decrypt(sealed_old, b'ad')


def test_texts_of_the_previous_release_are_still_read():
    legacy = crypto.encrypt_v1('key-1', 'payload', b'ad')
    assert legacy.startswith('v1:')
    assert crypto.key_id_of(legacy) is None
    assert crypto.decrypt('key-1', legacy, b'ad') == 'payload'
    ring = crypto.KeyRing(['key-2', 'key-1'], 'any')
    assert ring.decrypt(legacy, b'ad') == 'payload'
    assert ring.is_current(ring.rewrap(legacy, b'ad'))
