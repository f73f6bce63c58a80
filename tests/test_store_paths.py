"""Store paths: names, parsing, and every way Nix computes a path.

The tables were produced by real Nix 2.8 (commands in each comment); the
tests need no Nix.
"""
from __future__ import annotations

import hashlib

import pytest

from nixlang.store.errors import BadStorePath, BadStorePathName, StoreError
from nixlang.store.hashes import Hash, sha256
from nixlang.store.paths import (MAX_NAME_LEN, StorePath, check_name, make_fixed_output_path, make_output_path,
                                 make_store_path, make_text_path, make_type, output_path_name, parse_store_path,
                                 parse_store_path_canonical, store_path_for_text, to_store_path)
from nixlang.store.placeholders import downstream_placeholder, dynamic_placeholder, hash_placeholder

# (method, algo, base16 hash, name, path): `nix-store --print-fixed-path [--recursive] ALGO HASH NAME`
FIXED_PATHS = [
    ('flat', 'md5', '9dd4e461268c8034f5c8564e155c67a6', 'foo', '/nix/store/4inzsnjj9kdv073anr4gys6id5pcnai5-foo'),
    ('flat', 'md5', '9dd4e461268c8034f5c8564e155c67a6', 'source', '/nix/store/g7c74xp6xgllrs9kbqqrwxj7l3shwcg5-source'),
    ('flat', 'md5', '9dd4e461268c8034f5c8564e155c67a6', 'a+b=c?d_e.tar.gz', '/nix/store/kgwh67i3blk07c2gdr22jzgxfpz2x4jj-a+b=c?d_e.tar.gz'),
    ('flat', 'sha1', '11f6ad8ec52a2984abaafd7c3b516503785c2072', 'foo', '/nix/store/0gv8szmcg7ivk8vkj8xz8ygvmd7mglsa-foo'),
    ('flat', 'sha1', '11f6ad8ec52a2984abaafd7c3b516503785c2072', 'source', '/nix/store/gjkjvschr0m8nav7g7zsxjxd52x2rr58-source'),
    ('flat', 'sha1', '11f6ad8ec52a2984abaafd7c3b516503785c2072', 'a+b=c?d_e.tar.gz', '/nix/store/a63bdz7yhfss414iys5ddx24lrmkpfri-a+b=c?d_e.tar.gz'),
    ('flat', 'sha256', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'foo', '/nix/store/fwvavrb5fgiba3q0jzywk26xsgq4r8dq-foo'),
    ('flat', 'sha256', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'source', '/nix/store/vwk7p06lzxigf3a2z1rfxlx18vd4pd20-source'),
    ('flat', 'sha256', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'a+b=c?d_e.tar.gz', '/nix/store/mbkn63bdxsmpzcn6j8kmha26wk7bjgrd-a+b=c?d_e.tar.gz'),
    ('flat', 'sha512', 'a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62', 'foo', '/nix/store/1rhpnf67ry522csa6lxgviinaigipyk8-foo'),
    ('flat', 'sha512', 'a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62', 'source', '/nix/store/sbfjxfqi8nq6sbq0smy575jampnvi623-source'),
    ('flat', 'sha512', 'a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62', 'a+b=c?d_e.tar.gz', '/nix/store/wl16l8f3h7xqplhad8205idhlkz5b0ar-a+b=c?d_e.tar.gz'),
    ('flat', 'sha256', 'd9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa', 'foo', '/nix/store/g4p7ixagrnh05av5j7dwx0gqdsbr46z8-foo'),
    ('flat', 'sha256', 'd9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa', 'source', '/nix/store/3h2j29gvi47lfxvg7w9srfznsglcfdcm-source'),
    ('flat', 'sha256', 'd9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa', 'a+b=c?d_e.tar.gz', '/nix/store/lz5a478n9887ww39lbigx6siizbcgyg5-a+b=c?d_e.tar.gz'),
    ('nar', 'md5', '9dd4e461268c8034f5c8564e155c67a6', 'foo', '/nix/store/cm1ylc2fsrfd228sjk6ya8rsq5hva3xs-foo'),
    ('nar', 'md5', '9dd4e461268c8034f5c8564e155c67a6', 'source', '/nix/store/9f6nks6kdlgs86lgvcbbacnqhhh7qhnh-source'),
    ('nar', 'md5', '9dd4e461268c8034f5c8564e155c67a6', 'a+b=c?d_e.tar.gz', '/nix/store/cm1wm6g6mxim28apcjmpp22hyb7pd9sq-a+b=c?d_e.tar.gz'),
    ('nar', 'sha1', '11f6ad8ec52a2984abaafd7c3b516503785c2072', 'foo', '/nix/store/87bc007411nxk4xxijw2rprgiz41p7s5-foo'),
    ('nar', 'sha1', '11f6ad8ec52a2984abaafd7c3b516503785c2072', 'source', '/nix/store/65xj59l25sp82rkvbqhgbm3g0axr5350-source'),
    ('nar', 'sha1', '11f6ad8ec52a2984abaafd7c3b516503785c2072', 'a+b=c?d_e.tar.gz', '/nix/store/2i2drbhnldswq8z684628h4z5bybld72-a+b=c?d_e.tar.gz'),
    ('nar', 'sha256', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'foo', '/nix/store/dppxka05i2fys67mpmdi2dwqcks572rc-foo'),
    ('nar', 'sha256', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'source', '/nix/store/26fncgmb0nxdmi0xwqc37l7qmj57mraz-source'),
    ('nar', 'sha256', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 'a+b=c?d_e.tar.gz', '/nix/store/hbgxv1i7p6bmddxgds9vvaqxwwj8njv4-a+b=c?d_e.tar.gz'),
    ('nar', 'sha512', 'a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62', 'foo', '/nix/store/mds8w14x21yha2zsa78z50pbn54j8vwz-foo'),
    ('nar', 'sha512', 'a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62', 'source', '/nix/store/lzfk4va754h67974f7b55c2j922iakw0-source'),
    ('nar', 'sha512', 'a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62', 'a+b=c?d_e.tar.gz', '/nix/store/sg4d4fl6cwnxhpcdj7bbnjmf3zd0z9s0-a+b=c?d_e.tar.gz'),
    ('nar', 'sha256', 'd9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa', 'foo', '/nix/store/mj6bhf8jkr5p14h4zn7m3r79dxp2rygk-foo'),
    ('nar', 'sha256', 'd9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa', 'source', '/nix/store/z8li5hl57m08bj5x56n0mmfa4g6xw9va-source'),
    ('nar', 'sha256', 'd9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa', 'a+b=c?d_e.tar.gz', '/nix/store/snffxgfmvfb9h1q5bbd7n67ziipq06sj-a+b=c?d_e.tar.gz'),
]

# (name, contents, references, path): `builtins.toFile NAME CONTENTS` (references come from the context)
TEXT_PATHS = [
    ('foo.txt', 'hello world\n', [], '/nix/store/llk87470jxy0in98q3rvx652wbj9psa9-foo.txt'),
    ('empty', '', [], '/nix/store/wflv0hgb0qb1ddc5nxmsg0y9zjjhfvmh-empty'),
    ('unicode', 'é ☃\n', [], '/nix/store/3pa45w23i9grzz4sh5abwhbh6hxknl7v-unicode'),
    ('x.drv', 'not really', [], '/nix/store/8mxfwv1jxafwg1h86yr0b7ajlqnlr0qx-x.drv'),
    ('b', '/nix/store/apxsqdxczpngmp2qlqkjj6k7qy5ywhij-c and /nix/store/12wigjpizrn8axaqxj288q1b751qmwya-a', ['/nix/store/12wigjpizrn8axaqxj288q1b751qmwya-a', '/nix/store/apxsqdxczpngmp2qlqkjj6k7qy5ywhij-c'], '/nix/store/w84acifrlfxpniq60qn65kq361j77mq0-b'),
    ('d', 'just /nix/store/12wigjpizrn8axaqxj288q1b751qmwya-a', ['/nix/store/12wigjpizrn8axaqxj288q1b751qmwya-a'], '/nix/store/qrqlf29hp68gbly4r0rxgm47jn73afn6-d'),
]

# (output, path): `builtins.placeholder OUTPUT`
PLACEHOLDERS = [
    ('out', '/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9'),
    ('dev', '/02qcpld1y6xhs5gz9bchpxaw0xdhmsp5dv88lh25r2ss44kh8dxz'),
    ('bin', '/04f3da1kmbr67m3gzxikmsl4vjz5zf777sv6m14ahv22r65aac9m'),
    ('lib-x', '/06fs8id9p07c1sk81xz7009sknkazhlmlcd9y6la0dk3aa0mykk8'),
]


@pytest.mark.parametrize("method,algo,hx,name,path", FIXED_PATHS)
def test_fixed_output_paths(method, algo, hx, name, path):
    assert make_fixed_output_path(method, Hash(algo, bytes.fromhex(hx)), name) == path


def test_recursive_sha256_is_a_source_path():
    h = Hash("sha256", bytes.fromhex("2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"))
    assert make_fixed_output_path("nar", h, "foo") == make_store_path("source", h, "foo")
    # every other combination goes through the inner "fixed:out:" fingerprint
    inner = sha256("fixed:out:sha256:" + h.base16 + ":")
    assert make_fixed_output_path("flat", h, "foo") == make_store_path("output:out", inner, "foo")
    h1 = Hash("sha1", hashlib.sha1(b"x").digest())
    inner1 = sha256("fixed:out:r:sha1:" + h1.base16 + ":")
    assert make_fixed_output_path("nar", h1, "foo") == make_store_path("output:out", inner1, "foo")


@pytest.mark.parametrize("name,contents,refs,path", TEXT_PATHS)
def test_text_paths(name, contents, refs, path):
    assert store_path_for_text(name, contents, refs) == path
    assert store_path_for_text(name, contents, list(reversed(refs))) == path  # references are a set
    assert make_text_path(name, sha256(contents), refs) == path
    assert make_fixed_output_path("text", sha256(contents), name, refs) == path


def test_text_path_needs_sha256():
    with pytest.raises(StoreError):
        make_text_path("x", Hash("sha1", bytes(20)))


@pytest.mark.parametrize("output,path", PLACEHOLDERS)
def test_placeholders(output, path):
    assert hash_placeholder(output) == path


def test_known_facts_from_oracle_md():
    # builtins.toFile "foo.txt" "hello world\n" — a text path, the sha256 of the contents
    assert store_path_for_text("foo.txt", "hello world\n") == "/nix/store/llk87470jxy0in98q3rvx652wbj9psa9-foo.txt"
    assert hash_placeholder("out") == "/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"


def test_make_store_path_fingerprint():
    """makeStorePath: sha256 of "type:algo:base16:storedir:name", folded to 20 bytes."""
    h = sha256(b"contents")
    fp = f"text:sha256:{h.base16}:/nix/store:name"
    digest = hashlib.sha256(fp.encode()).digest()
    folded = bytes(digest[i] ^ (digest[i + 20] if i + 20 < 32 else 0) for i in range(20))
    expected = StorePath.from_digest(folded, "name").absolute()
    assert make_store_path("text", h, "name") == expected
    assert make_store_path("text", h, "name", store_dir="/other/store").startswith("/other/store/")
    assert make_store_path("text", h, "name", store_dir="/other/store")[14:] != expected[11:]


def test_make_type_sorts_references_and_marks_self():
    assert make_type("source", ["/nix/store/b", "/nix/store/a", "/nix/store/a"], True) == \
        "source:/nix/store/a:/nix/store/b:self"


def test_output_path_and_name():
    assert output_path_name("hello", "out") == "hello"
    assert output_path_name("hello", "dev") == "hello-dev"
    h = sha256(b"x")
    assert make_output_path("dev", h, "hello") == make_store_path("output:dev", h, "hello-dev")


@pytest.mark.parametrize("name,message", [
    ("", "name must not be empty"),
    ("~jiggle~", "name '~jiggle~' contains illegal character '~'"),  # eval-fail-derivation-name's text
    ("foo bar", "name 'foo bar' contains illegal character ' '"),
    ("caf\u00e9", "name 'caf\u00e9' contains illegal character '\u00e9'"),
    ("a/b", "name 'a/b' contains illegal character '/'"),
    (".", "name '.' is not valid"),
    ("..", "name '..' is not valid"),
    (".-x", "name '.-x' is not valid: first dash-separated component must not be '.'"),
    ("..-x", "name '..-x' is not valid: first dash-separated component must not be '..'"),
    ("x" * (MAX_NAME_LEN + 1), f"name '{'x' * (MAX_NAME_LEN + 1)}' must be no longer than 211 characters"),
])
def test_bad_names(name, message):
    with pytest.raises(BadStorePathName) as e:
        check_name(name)
    assert str(e.value) == message


@pytest.mark.parametrize("name", ["x", "a+b-c.d_e?f=g", ".hidden", "..x", "...", "x" * MAX_NAME_LEN, "-", "1.0"])
def test_good_names(name):
    check_name(name)


def test_bad_name_in_a_path_is_a_bad_store_path():
    with pytest.raises(BadStorePath) as e:
        make_store_path("text", sha256(b""), "a b")
    assert str(e.value).endswith("is not a valid store path: name 'a b' contains illegal character ' '")


@pytest.mark.parametrize("path,message", [
    ("/nix/store/short", "'short' is too short to be a valid store path"),
    ("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x",
     "store path 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-x' contains illegal base-32 character 'e'"),
    ("/tmp/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x", "path '/tmp/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x' is not in the Nix store"),
    ("/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x/bin",
     "path '/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x/bin' is not in the Nix store"),
    ("/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-",
     "path 's668cfx1vrqfjryf96jj8wfhg7f67dhj-' is not a valid store path: name must not be empty"),
])
def test_parse_store_path_errors(path, message):
    with pytest.raises(BadStorePath) as e:
        parse_store_path(path)
    assert str(e.value) == message


def test_parse_store_path():
    sp = parse_store_path("/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x")
    assert (sp.hash_part, sp.name, sp.base_name) == ("s668cfx1vrqfjryf96jj8wfhg7f67dhj", "x",
                                                     "s668cfx1vrqfjryf96jj8wfhg7f67dhj-x")
    assert len(sp.digest) == 20 and StorePath.from_digest(sp.digest, "x") == sp
    assert parse_store_path("/nix//store/./s668cfx1vrqfjryf96jj8wfhg7f67dhj-x/") == sp  # canonicalised
    with pytest.raises(BadStorePath):
        parse_store_path_canonical("/nix//store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x")
    assert parse_store_path("/gnu/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x", "/gnu/store") == sp
    assert not sp.is_derivation()
    drv = parse_store_path("/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv")
    assert drv.is_derivation() and drv.drv_name() == "x"
    with pytest.raises(BadStorePath):
        sp.drv_name()


def test_store_paths_order_by_base_name():
    a = StorePath.from_base_name("0" * 32 + "-z")
    b = StorePath.from_base_name("1" * 32 + "-a")
    assert sorted([b, a]) == [a, b]


def test_to_store_path():
    sp, rest = to_store_path("/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x/bin/sh")
    assert sp.name == "x" and rest == "/bin/sh"
    assert to_store_path("/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x")[1] == ""


# (drv path, output, what Nix 2.8 gives as that output's outPath) — floating CA and deferred
# derivations from `nix-instantiate --eval` with ca-derivations / impure-derivations
DOWNSTREAM = [
    ("/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv", "out", "/1znll5bv5hgf5kfrhw652sx032bgzzigcl0pjpq9hg5l07cysbs1"),
    ("/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv", "lib", "/07wb72syhv6ks5ilgzqlbjwgg30ycn0s76m0i2cwph6dhnvnhimy"),
    ("/nix/store/vspdhzqhfyzyj2jr8lnhsxfxs9y2lgzx-deferred.drv", "out",
     "/1mjwxzki573grbksbr1v1dy9354li8dcyvvaawilc3aibx1zxgfq"),
    ("/nix/store/063k7v39p1qr74jc37ms4y5rpkw9dsbc-imp.drv", "out", "/0427qbs9y77yjn3135zgi27017v0cx2a3zjvz2knx763j2cbsk28"),
]


@pytest.mark.parametrize("drv_path,output,placeholder", DOWNSTREAM)
def test_downstream_placeholders(drv_path, output, placeholder):
    assert downstream_placeholder(drv_path, output) == placeholder


def test_dynamic_placeholder_shape():
    p = downstream_placeholder("/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv", "out")
    d = dynamic_placeholder(p, "out")
    assert d.startswith("/") and len(d) == 53 and d != p and d != dynamic_placeholder(p, "dev")
