"""SHA-256 of the small texts start-up hashes, without importing hashlib.

`hashlib` imports `_hashlib`, and with it OpenSSL's initialisation: about
2 ms, a twentieth of `pynix instantiate --eval -E 1`, spent there on a few
small texts (the generated methods of record classes, which name their
code-cache entries; the sources the parser's cached tables were made from;
the text of `-E`). CPython 3.11's own SHA-256 module (`_sha256`) gives the
same digests without it (on a Python without it, this is hashlib's). It is
about six times slower per byte than OpenSSL's, so data of more than `SMALL`
bytes still goes to hashlib (by then a millisecond of hashing is not what a
run spends its time on).
"""
from __future__ import annotations

SMALL = 256 * 1024

try:
    from _sha256 import sha256 as _own_sha256
except ImportError:     # Python 3.12 and later (its `_sha2`), or one built without it
    _own_sha256 = None


def sha256(data: bytes = b""):
    """A SHA-256 hash object (`update`, `digest`, `hexdigest`) of `data`."""
    if _own_sha256 is not None and len(data) <= SMALL:
        return _own_sha256(data)
    from hashlib import sha256 as openssl_sha256
    return openssl_sha256(data)
