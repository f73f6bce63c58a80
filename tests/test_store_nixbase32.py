"""Nix's base-32: golden values from real Nix, the digit-by-digit definition
of printHash32 as an independent reference, round trips, and the errors."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nixlang.store import nixbase32
from nixlang.store.errors import FormatError
from test_store_hashes import HASHES


def reference_encode(data: bytes) -> str:
    """printHash32 written out digit by digit, as libutil/hash.cc states it."""
    n_chars = (len(data) * 8 - 1) // 5 + 1 if data else 0
    out = []
    for n in range(n_chars - 1, -1, -1):
        b = n * 5
        i, j = divmod(b, 8)
        c = (data[i] >> j) | (0 if i >= len(data) - 1 else data[i + 1] << (8 - j))
        out.append(nixbase32.ALPHABET[c & 0x1F])
    return "".join(out)


@pytest.mark.parametrize("hx,b32", [(row[2], row[3]) for row in HASHES] + [
    ("", ""),
    # `builtins.placeholder "out"` (Nix 2.8) is "/" + nix32(sha256("nix-output:out"))
    (hashlib.sha256(b"nix-output:out").hexdigest(), "1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"),
])
def test_golden(hx, b32):
    data = bytes.fromhex(hx)
    assert nixbase32.encode(data) == b32
    assert nixbase32.decode(b32) == data
    assert nixbase32.decode(b32, len(data)) == data


@pytest.mark.parametrize("n_bytes,n_chars", [(0, 0), (1, 2), (5, 8), (16, 26), (20, 32), (32, 52), (64, 103)])
def test_lengths(n_bytes, n_chars):
    assert nixbase32.encoded_len(n_bytes) == n_chars
    assert len(nixbase32.encode(bytes(n_bytes))) == n_chars


def test_alphabet_has_no_e_o_u_t():
    assert len(nixbase32.ALPHABET) == 32 and not set("eout") & set(nixbase32.ALPHABET)


@given(st.binary(max_size=80))
@settings(max_examples=300)
def test_matches_reference_and_round_trips(data):
    text = nixbase32.encode(data)
    assert text == reference_encode(data)
    assert nixbase32.decode(text, len(data)) == data


@pytest.mark.parametrize("text,n_bytes,message", [
    ("0e", None, "invalid character 'e' in base-32 string '0e'"),
    ("ABC", None, "invalid character 'A' in base-32 string 'ABC'"),
    ("000", 1, "base-32 string '000' has wrong length for 1 bytes"),
    ("z0", 1, "invalid base-32 string 'z0': bits set beyond the last byte"),
])
def test_errors(text, n_bytes, message):
    with pytest.raises(FormatError) as e:
        nixbase32.decode(text, n_bytes)
    assert str(e.value) == message


def test_is_valid():
    assert nixbase32.is_valid("0123456789abcdfghijklmnpqrsvwxyz")
    assert not nixbase32.is_valid("t")
