"""Hashes: parsing every text form Nix accepts, printing each form, Nix's
error messages, compressHash.

The HASHES table was produced by real Nix 2.8 (`nix-hash --type A --to-base32
HEX`, `nix hash to-base64`, `nix hash to-sri`) for the digests of b"", b"abc"
and b"hello world\\n"; the tests need no Nix.
"""
from __future__ import annotations

import hashlib

import pytest

from nixlang.store.errors import BadHash, UsageError
from nixlang.store.hashes import (Hash, HashSink, compress_hash, hash_bytes, new_hash_allow_empty,
                                  parse_hash_algo, parse_hash_format)

# (algo, data, base16, nix32, base64, sri) — from Nix 2.8
HASHES = [
    ('md5', b'', 'd41d8cd98f00b204e9800998ecf8427e', '3y8bwfr609h3lh9ch0izcqq7fl', '1B2M2Y8AsgTpgAmY7PhCfg==', 'md5-1B2M2Y8AsgTpgAmY7PhCfg=='),
    ('md5', b'abc', '900150983cd24fb0d6963f7d28e17f72', '3jgzhjhz9zjvbb0kyj7jc500ch', 'kAFQmDzST7DWlj99KOF/cg==', 'md5-kAFQmDzST7DWlj99KOF/cg=='),
    ('md5', b'hello world\n', '6f5902ac237024bdd0c176cb93063dc4', '647l397jvnq78bs93h4fn04nbg', 'b1kCrCNwJL3QwXbLkwY9xA==', 'md5-b1kCrCNwJL3QwXbLkwY9xA=='),
    ('sha1', b'', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', '143xibwh31h9bvxzalr0sjvbbvpa6ffs', '2jmj7l5rSw0yVb/vlWAYkK/YBwk=', 'sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk='),
    ('sha1', b'abc', 'a9993e364706816aba3e25717850c26c9cd0d89d', 'kpcd173cq987hw957sx6m0868wv3x6d9', 'qZk+NkcGgWq6PiVxeFDCbJzQ2J0=', 'sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0='),
    ('sha1', b'hello world\n', '22596363b3de40b06f981fb85d82312e8c0ed511', '27ahx31f6615vf0zk1pv0h6yndin6n92', 'IlljY7PeQLBvmB+4XYIxLowO1RE=', 'sha1-IlljY7PeQLBvmB+4XYIxLowO1RE='),
    ('sha256', b'', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', '0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73', '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='),
    ('sha256', b'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', '1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s', 'ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=', 'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='),
    ('sha256', b'hello world\n', 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447', '0ix4jahrkll5zg01wandq78jw3ab30q4nscph67rniqg5x7r0j59', 'qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc=', 'sha256-qUiQTy8PR5uPgZdpSzAYSw0u0cHNKh7A+4XSmaGSpEc='),
    ('sha512', b'', 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e', '0zdl9zrg8r3i9c1g90lgg9ip5ijzv3yhz91i0zzn3r8ap9ws784gkp9dk9j3aglhgf1amqb0pj21mh7h1nxcl18akqvvf7ggqsy30yg', 'z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==', 'sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=='),
    ('sha512', b'abc', 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f', '2gs8k559z4rlahfx0y688s49m2vvszylcikrfinm30ly9rak69236nkam5ydvly1ai7xac99vxfc4ii84hawjbk876blyk1jfhkbbyx', '3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==', 'sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=='),
    ('sha512', b'hello world\n', 'db3974a97f2407b7cae1ae637c0030687a11913274d578492558e39c16c017de84eacdc8c62fe34ee4e12b4b1428817f09b6a2760c3f8a664ceae94d2434a593', '29sad149plylk36i8zhqxm2nq4pz0982i5jpqg49vijzin8rpm89phpq0b9rqsq4m4pimbl6a8i2yk86007qqxfw75bf1r4gylp8ffv', '2zl0qX8kB7fK4a5jfAAwaHoRkTJ01XhJJVjjnBbAF96E6s3Ixi/jTuThK0sUKIF/Cbaidgw/imZM6ulNJDSlkw==', 'sha512-2zl0qX8kB7fK4a5jfAAwaHoRkTJ01XhJJVjjnBbAF96E6s3Ixi/jTuThK0sUKIF/Cbaidgw/imZM6ulNJDSlkw=='),
]


@pytest.mark.parametrize("algo,data,hx,b32,b64,sri", HASHES)
def test_digest_and_every_printed_form(algo, data, hx, b32, b64, sri):
    h = hash_bytes(algo, data)
    assert h.digest == hashlib.new(algo, data).digest()
    assert (h.base16, h.nix32, h.base64, h.sri) == (hx, b32, b64, sri)
    assert h.to_string("base16") == f"{algo}:{hx}"
    assert h.to_string("nix32", include_algo=False) == b32
    assert h.to_string("base32") == f"{algo}:{b32}"  # the deprecated alias
    assert h.to_string("base64") == f"{algo}:{b64}"
    assert h.to_string("sri", include_algo=False) == sri  # SRI always names the algorithm
    assert str(h) == f"{algo}:{b32}"


@pytest.mark.parametrize("algo,data,hx,b32,b64,sri", HASHES)
def test_parse_every_form(algo, data, hx, b32, b64, sri):
    h = Hash(algo, bytes.fromhex(hx))
    texts = [hx, hx.upper(), b32, b64]
    for t in texts:
        assert Hash.parse_any(t, algo) == h                 # algorithm from context
        assert Hash.parse_any(f"{algo}:{t}") == h           # from the prefix
        assert Hash.parse_any(f"{algo}:{t}", algo) == h     # both, agreeing
        assert Hash.parse_any_prefixed(f"{algo}:{t}") == h
        assert Hash.parse_non_sri_unprefixed(t, algo) == h
    assert Hash.parse_any(sri) == h
    assert Hash.parse_any(sri, algo) == h
    assert Hash.parse_sri(sri) == h
    assert Hash.parse_any_prefixed(sri) == h
    # Nix's base64 decoder stops at '=', so SRI without padding is accepted too
    assert Hash.parse_sri(sri.rstrip("=")) == h


@pytest.mark.parametrize("call,message", [
    (lambda: parse_hash_algo("foo"),
     "unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'"),
    (lambda: Hash.parse_any("foo:abc"),
     "unknown hash algorithm 'foo', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'"),
    (lambda: Hash.parse_any("abc", "sha256"), "hash 'abc' has wrong length for hash algorithm 'sha256'"),
    (lambda: Hash.parse_any("sha1:abc"), "hash 'abc' has wrong length for hash algorithm 'sha1'"),
    (lambda: Hash.parse_any("abc"),
     "hash 'abc' does not include a type, nor is the type otherwise known from context"),
    (lambda: Hash.parse_any_prefixed("abc"), "hash 'abc' does not include a type"),
    (lambda: Hash.parse_sri("abc"), "hash 'abc' is not SRI"),
    (lambda: Hash.parse_any("md5:" + "0" * 32, "sha256"), "hash 'md5:" + "0" * 32 + "' should have type 'sha256'"),
    (lambda: Hash.parse_any("g" * 64, "sha256"), "invalid base-16 hash '" + "g" * 64 + "'"),
    (lambda: Hash.parse_any("e" * 52, "sha256"), "invalid base-32 hash '" + "e" * 52 + "'"),
    # 52 nix32 digits hold 260 bits; a leading 'z' sets bits beyond the 256 of a sha256
    (lambda: Hash.parse_any("z" + "0" * 51, "sha256"), "invalid base-32 hash 'z" + "0" * 51 + "'"),
    (lambda: Hash.parse_any("!" * 44, "sha256"), "invalid base-64 hash '" + "!" * 44 + "'"),
    (lambda: Hash.parse_any("sha256-AAAA"), "invalid SRI hash 'AAAA'"),
    (lambda: new_hash_allow_empty("", None), "empty hash requires explicit hash algorithm"),
    (lambda: parse_hash_format("hex"), "unknown hash format 'hex', expect 'base16', 'base32', 'base64', or 'sri'"),
])
def test_errors_have_nix_messages(call, message):
    with pytest.raises((BadHash, UsageError)) as e:
        call()
    assert str(e.value) == message


def test_unknown_algorithm_is_a_usage_error():
    with pytest.raises(UsageError):
        parse_hash_algo("sha3")


def test_blake3_is_known_but_not_computable():
    h = Hash.parse_any("blake3:" + "ab" * 32)
    assert h.algo == "blake3" and h.sri.startswith("blake3-")
    with pytest.raises(Exception, match="blake3"):
        hash_bytes("blake3", b"x")


def test_empty_hash_is_all_zeroes_with_nix_warning():
    h, warning = new_hash_allow_empty("", "sha256")
    assert h.digest == bytes(32)
    assert warning == "found empty hash, assuming 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='"
    h2, w2 = new_hash_allow_empty("sha1:" + "00" * 20, None)
    assert h2 == Hash("sha1", bytes(20)) and w2 is None


@pytest.mark.parametrize("name,expected", [("base16", ("base16", False)), ("nix32", ("nix32", False)),
                                           ("base32", ("nix32", True)), ("base64", ("base64", False)),
                                           ("sri", ("sri", False))])
def test_hash_formats(name, expected):
    assert parse_hash_format(name) == expected


def test_wrong_digest_size_is_rejected():
    with pytest.raises(BadHash):
        Hash("sha256", b"short")


def test_hash_sink_streams():
    sink = HashSink("sha512")
    for chunk in (b"hello", b" ", b"world\n"):
        sink(chunk)
    h, n = sink.finish()
    assert h == hash_bytes("sha512", b"hello world\n") and n == 12


def test_str_data_is_hashed_as_utf8_with_surrogate_escapes():
    raw = b"\xff\xfe caf\xc3\xa9"
    assert hash_bytes("sha256", raw.decode("utf-8", "surrogateescape")) == hash_bytes("sha256", raw)


@pytest.mark.parametrize("digest,size,expected", [
    (bytes(range(32)), 20, bytes(a ^ b for a, b in zip(range(20), list(range(20, 32)) + [0] * 8))),
    (bytes(range(1, 65)), 32, bytes(a ^ b for a, b in zip(range(1, 33), range(33, 65)))),
    (bytes([0xff] * 32), 16, bytes(16)),
    (b"\x01\x02\x03", 5, b"\x01\x02\x03\x00\x00"),
    (bytes([7] * 41), 20, bytes([7] * 1 + [0] * 19)),  # three folds onto position 0, two elsewhere
])
def test_compress_hash_xor_folds(digest, size, expected):
    assert compress_hash(digest, size) == expected


def test_compress_hash_matches_bytewise_definition():
    import os
    for n in (1, 19, 20, 21, 32, 64, 100):
        for size in (1, 7, 20, 32):
            d = os.urandom(n)
            want = bytearray(size)
            for i, b in enumerate(d):
                want[i % size] ^= b
            assert compress_hash(d, size) == bytes(want)
