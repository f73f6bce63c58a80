r"""Derivations: .drv round trips, drv and output paths, hashDerivationModulo,
fillInOutputPaths, JSON forms and resolution.

Two sources of truth:

- ORACLE: derivations instantiated by real Nix 2.8 (`nix-instantiate` into a
  private store, with the ca-derivations and impure-derivations experimental
  features), from the expressions below. DRVS holds every .drv of their
  closures byte for byte; CASES the drvPath and outPaths Nix reported;
  LEGACY_JSON parts of `nix show-derivation`. The tests need no Nix.
- Nix's own test data in ../shared/conformance/derivations (skipped when absent).

The expressions (`x86_64-linux`, builder `/bin/sh` unless given; file.txt holds
"hello\n", tree/ is a small tree, bin.dat the bytes ff fe " binary " c3):

    let
      sys = "x86_64-linux";
      mk = attrs: derivation ({ system = sys; builder = "/bin/sh"; } // attrs);
    in rec {
      simple = derivation { name = "x"; system = "x86_64-linux"; builder = "/bin/sh"; };
      fodRec = mk { name = "fod"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; };
      fodRec2 = mk { name = "fod"; builder = "/bin/bash"; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputHash = "1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"; };
      fodFlat = mk { name = "fod-flat.tar.gz"; outputHashAlgo = "sha256"; outputHash = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"; };
      fodSha1 = mk { name = "fod-sha1"; outputHashAlgo = "sha1"; outputHash = "sha1:0a4d55a8d778e5022fab701977c5d840bbc486d0"; };
      fodRecSha1 = mk { name = "fod-rec-sha1"; outputHashMode = "recursive"; outputHash = "sha1-Ck1VqNd45QIvq3AZd8XYQLvEhtA="; };
      fodSha512 = mk { name = "fod-sha512"; outputHash = "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="; };
      fodMd5 = mk { name = "fod-md5"; outputHashAlgo = "md5"; outputHash = "5eb63bbbe01eeed093cb22bb8f5acdc3"; };
      fodEmpty = mk { name = "fod-empty"; outputHashAlgo = "sha256"; outputHash = ""; };
      multi = mk { name = "multi"; outputs = [ "out" "dev" "bin" ]; args = [ "-c" "echo \"q\" \\ \n\t\r é ☃" ]; src = fodRec; };
      useDev = mk { name = "use-dev"; inc = multi.dev; bin = "${multi.bin}/bin"; };
      downA = mk { name = "down"; src = fodRec; };
      downB = mk { name = "down"; src = fodRec2; };
      top = mk { name = "top"; deps = [ downA downB useDev ]; flat = fodFlat; sha1 = fodSha1; rs = fodRecSha1; s512 = fodSha512; m = fodMd5; e = fodEmpty; };
      srcs = mk { name = "srcs"; file = ./file.txt; tree = ./tree; txt = builtins.toFile "t.txt" "text ${builtins.toFile "u" "u"}"; args = [ ./file.txt ]; };
      values = mk { name = "a+b-c.d_e?f=g"; l = [ 1 "two" true null 3.5 ]; t = true; f = false; n = null; i = -7; };
      binary = mk { name = "binary"; data = builtins.readFile ./bin.dat; };
      structured = mk { name = "structured"; __structuredAttrs = true; outputs = [ "out" "doc" ]; list = [ 1 2 "x" ]; nested = { a.b = true; s = "é\n\"q\""; }; dep = simple; f = 1.5; };
      passFile = mk { name = "pass-file"; passAsFile = [ "big" ]; big = "lots of text"; };
      ca = mk { name = "ca"; __contentAddressed = true; outputHashMode = "recursive"; outputHashAlgo = "sha256"; outputs = [ "out" "lib" ]; };
      caFlat = mk { name = "ca-flat"; __contentAddressed = true; outputHashMode = "flat"; outputHashAlgo = "sha512"; };
      deferred = mk { name = "deferred"; dep = ca; lib = ca.lib; };
      deferred2 = mk { name = "deferred2"; dep = deferred; };
      imp = mk { name = "imp"; __impure = true; };
      downImp = mk { name = "down-imp"; dep = imp; };
    }
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import SHARED

from nixlang.store.derivation import (DEFERRED, CAFixed, CAFloating, Deferred, Derivation, DerivationText, Impure,
                                      InputAddressed,
                                      InputDrv, ModuloHasher, check_invariants, derivation_path, derivation_type,
                                      fill_in_output_paths, from_json, hash_derivation_modulo, instantiate,
                                      parse_derivation, read_derivation_file, set_outputs, to_json, to_legacy_json,
                                      try_resolve)
from nixlang.store.errors import FormatError, InvalidDerivation, StoreError
from nixlang.store.hashes import Hash, sha256
from nixlang.store.paths import STORE_DIR, StorePath, make_output_path

DATA = SHARED / "conformance" / "derivations"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"Nix's derivation test data not found at {DATA}")
ABSENT = [pytest.param("absent", marks=pytest.mark.skip(reason=f"Nix's derivation test data not found at {DATA}"))]

DRVS = {
    '/nix/store/063k7v39p1qr74jc37ms4y5rpkw9dsbc-imp.drv':
        b'Derive([("out","","r:sha256","impure")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","imp"),("out","/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"),("system","x86_64-linux")])',
    '/nix/store/51whh93zyyyil8d6z12b7q4qd9slsvis-fod-flat.tar.gz.drv':
        b'Derive([("out","/nix/store/acfval562chj84lj91s857br1r9ifimi-fod-flat.tar.gz","sha256","a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod-flat.tar.gz"),("out","/nix/store/acfval562chj84lj91s857br1r9ifimi-fod-flat.tar.gz"),("outputHash","a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"),("outputHashAlgo","sha256"),("system","x86_64-linux")])',
    '/nix/store/6py31pgkq44v1hfk5hj0g5hpgsz4yrjg-srcs.drv':
        b'Derive([("out","/nix/store/0fqzfpmf5rvl2wq0yvq3wjhalmnjfrvl-srcs","","")],[],["/nix/store/jdp4xj2lvxbvxymzwa06cqmks1phda9n-t.txt","/nix/store/krw2hf7pazdpf1gkf2kdnsx8zxri5rb3-tree","/nix/store/qjqcrhqkjmdgv3yqcgcd9fa7qi234hga-file.txt"],"x86_64-linux","/bin/sh",["/nix/store/qjqcrhqkjmdgv3yqcgcd9fa7qi234hga-file.txt"],[("builder","/bin/sh"),("file","/nix/store/qjqcrhqkjmdgv3yqcgcd9fa7qi234hga-file.txt"),("name","srcs"),("out","/nix/store/0fqzfpmf5rvl2wq0yvq3wjhalmnjfrvl-srcs"),("system","x86_64-linux"),("tree","/nix/store/krw2hf7pazdpf1gkf2kdnsx8zxri5rb3-tree"),("txt","/nix/store/jdp4xj2lvxbvxymzwa06cqmks1phda9n-t.txt")])',
    '/nix/store/8x0hm9464cl4vxg21qs9x9cifd3yia94-fod-rec-sha1.drv':
        b'Derive([("out","/nix/store/ac0vz2vqwqpa225bw6xlnx5dqbc79bj5-fod-rec-sha1","r:sha1","0a4d55a8d778e5022fab701977c5d840bbc486d0")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod-rec-sha1"),("out","/nix/store/ac0vz2vqwqpa225bw6xlnx5dqbc79bj5-fod-rec-sha1"),("outputHash","sha1-Ck1VqNd45QIvq3AZd8XYQLvEhtA="),("outputHashMode","recursive"),("system","x86_64-linux")])',
    '/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv':
        b'Derive([("out","/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x","","")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","x"),("out","/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x"),("system","x86_64-linux")])',
    '/nix/store/csc0k55yv31azbqlqvb4501a99nl6mh5-binary.drv':
        b'Derive([("out","/nix/store/rz2kb42df2j6n10c3g1xrliby7iw8d1v-binary","","")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("data","\xff\xfe binary \xc3"),("name","binary"),("out","/nix/store/rz2kb42df2j6n10c3g1xrliby7iw8d1v-binary"),("system","x86_64-linux")])',
    '/nix/store/f36hh73xmwp7jljf4szjr3s3sa3x32fa-fod-sha512.drv':
        b'Derive([("out","/nix/store/wvf33jkyixl0r8jbnqaqmzl443xnl09j-fod-sha512","sha512","cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod-sha512"),("out","/nix/store/wvf33jkyixl0r8jbnqaqmzl443xnl09j-fod-sha512"),("outputHash","sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="),("system","x86_64-linux")])',
    '/nix/store/gr7vfa34s4hn7qlcwgnx57ppc4rhdibp-fod-sha1.drv':
        b'Derive([("out","/nix/store/swhfzcvnwzqh9v2y9w8z2jcs86bmml23-fod-sha1","sha1","0a4d55a8d778e5022fab701977c5d840bbc486d0")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod-sha1"),("out","/nix/store/swhfzcvnwzqh9v2y9w8z2jcs86bmml23-fod-sha1"),("outputHash","sha1:0a4d55a8d778e5022fab701977c5d840bbc486d0"),("outputHashAlgo","sha1"),("system","x86_64-linux")])',
    '/nix/store/hjh2bm3gmkmqj07k21c858jg5k34h6mq-fod.drv':
        b'Derive([("out","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod","r:sha256","ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod"),("out","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod"),("outputHash","1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"),("outputHashAlgo","sha256"),("outputHashMode","recursive"),("system","x86_64-linux")])',
    '/nix/store/i98fc8j3s7dwwvy2lvg0ldcs2zqjaw5f-pass-file.drv':
        b'Derive([("out","/nix/store/n8ib8r9affpz64w53ln2rh0zjwd99hnl-pass-file","","")],[],[],"x86_64-linux","/bin/sh",[],[("big","lots of text"),("builder","/bin/sh"),("name","pass-file"),("out","/nix/store/n8ib8r9affpz64w53ln2rh0zjwd99hnl-pass-file"),("passAsFile","big"),("system","x86_64-linux")])',
    '/nix/store/iv9r79gsnaixm8sidj5ak0df20jsv1jm-use-dev.drv':
        b'Derive([("out","/nix/store/aa5jjbai4dhw2iz8ljd7d4qwgl6pk3jl-use-dev","","")],[("/nix/store/ssh7iwwxm3av571w13bpgh6jl9kjlhch-multi.drv",["bin","dev"])],[],"x86_64-linux","/bin/sh",[],[("bin","/nix/store/x928mix7ljy38whmmlsi58kiqivz0vg7-multi-bin/bin"),("builder","/bin/sh"),("inc","/nix/store/lhf6nsw59b436vmbzzdb2df98ig4xivq-multi-dev"),("name","use-dev"),("out","/nix/store/aa5jjbai4dhw2iz8ljd7d4qwgl6pk3jl-use-dev"),("system","x86_64-linux")])',
    '/nix/store/jdfr07zbsqsg6n8mpasjs10dz7kzbyqj-deferred2.drv':
        b'Derive([("out","","","")],[("/nix/store/vspdhzqhfyzyj2jr8lnhsxfxs9y2lgzx-deferred.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("dep","/1mjwxzki573grbksbr1v1dy9354li8dcyvvaawilc3aibx1zxgfq"),("name","deferred2"),("out",""),("system","x86_64-linux")])',
    '/nix/store/kbn9wqjahx097qxza7py3km4ifigs545-ca-flat.drv':
        b'Derive([("out","","sha512","")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","ca-flat"),("out","/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"),("outputHashAlgo","sha512"),("outputHashMode","flat"),("system","x86_64-linux")])',
    '/nix/store/l1x4mi4s40mrv60c7fs9y4km31klvlal-fod-md5.drv':
        b'Derive([("out","/nix/store/2h0i120faq6c1gnrpfxpdc7pmya7cslw-fod-md5","md5","5eb63bbbe01eeed093cb22bb8f5acdc3")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod-md5"),("out","/nix/store/2h0i120faq6c1gnrpfxpdc7pmya7cslw-fod-md5"),("outputHash","5eb63bbbe01eeed093cb22bb8f5acdc3"),("outputHashAlgo","md5"),("system","x86_64-linux")])',
    '/nix/store/nq6gxy74n19aaa5jjxzmj3b44lnp0vis-down-imp.drv':
        b'Derive([("out","","","")],[("/nix/store/063k7v39p1qr74jc37ms4y5rpkw9dsbc-imp.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("dep","/0427qbs9y77yjn3135zgi27017v0cx2a3zjvz2knx763j2cbsk28"),("name","down-imp"),("out",""),("system","x86_64-linux")])',
    '/nix/store/p1yxpmj14pw12ncaap7wg9i5vji4rf40-structured.drv':
        b'Derive([("doc","/nix/store/55zjkz7chgix2wqshfzqirxf44sqsx72-structured-doc","",""),("out","/nix/store/dz3yy5dhjnn758as09x5xfk3vfdblhhw-structured","","")],[("/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("__json","{\\"builder\\":\\"/bin/sh\\",\\"dep\\":\\"/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x\\",\\"f\\":1.5,\\"list\\":[1,2,\\"x\\"],\\"name\\":\\"structured\\",\\"nested\\":{\\"a\\":{\\"b\\":true},\\"s\\":\\"\xc3\xa9\\\\n\\\\\\"q\\\\\\"\\"},\\"outputs\\":[\\"out\\",\\"doc\\"],\\"system\\":\\"x86_64-linux\\"}"),("doc","/nix/store/55zjkz7chgix2wqshfzqirxf44sqsx72-structured-doc"),("out","/nix/store/dz3yy5dhjnn758as09x5xfk3vfdblhhw-structured")])',
    '/nix/store/r8sbrsnp4bihqxnsab9n1p3pzq9f2jz2-down.drv':
        b'Derive([("out","/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down","","")],[("/nix/store/hjh2bm3gmkmqj07k21c858jg5k34h6mq-fod.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","down"),("out","/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down"),("src","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod"),("system","x86_64-linux")])',
    '/nix/store/rrw835zq7v6a8km53lbjs5mgll0kvzas-a+b-c.d_e?f=g.drv':
        b'Derive([("out","/nix/store/2xipbi2jh2gnzrd4xr6dwhmwjplsjaf4-a+b-c.d_e?f=g","","")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("f",""),("i","-7"),("l","1 two 1  3.500000"),("n",""),("name","a+b-c.d_e?f=g"),("out","/nix/store/2xipbi2jh2gnzrd4xr6dwhmwjplsjaf4-a+b-c.d_e?f=g"),("system","x86_64-linux"),("t","1")])',
    '/nix/store/sm95j6031bclkfsgy58jk10l2078aab9-fod.drv':
        b'Derive([("out","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod","r:sha256","ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")],[],[],"x86_64-linux","/bin/bash",[],[("builder","/bin/bash"),("name","fod"),("out","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod"),("outputHash","1b8m03r63zqhnjf7l5wnldhh7c134ap5vpj0850ymkq1iyzicy5s"),("outputHashAlgo","sha256"),("outputHashMode","recursive"),("system","x86_64-linux")])',
    '/nix/store/ssh7iwwxm3av571w13bpgh6jl9kjlhch-multi.drv':
        b'Derive([("bin","/nix/store/x928mix7ljy38whmmlsi58kiqivz0vg7-multi-bin","",""),("dev","/nix/store/lhf6nsw59b436vmbzzdb2df98ig4xivq-multi-dev","",""),("out","/nix/store/av3g38gpl356hf5624ximg3hwh0sip3q-multi","","")],[("/nix/store/hjh2bm3gmkmqj07k21c858jg5k34h6mq-fod.drv",["out"])],[],"x86_64-linux","/bin/sh",["-c","echo \\"q\\" \\\\ \\n\\t\\r \xc3\xa9 \xe2\x98\x83"],[("bin","/nix/store/x928mix7ljy38whmmlsi58kiqivz0vg7-multi-bin"),("builder","/bin/sh"),("dev","/nix/store/lhf6nsw59b436vmbzzdb2df98ig4xivq-multi-dev"),("name","multi"),("out","/nix/store/av3g38gpl356hf5624ximg3hwh0sip3q-multi"),("outputs","out dev bin"),("src","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod"),("system","x86_64-linux")])',
    '/nix/store/vspdhzqhfyzyj2jr8lnhsxfxs9y2lgzx-deferred.drv':
        b'Derive([("out","","","")],[("/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv",["lib","out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("dep","/1znll5bv5hgf5kfrhw652sx032bgzzigcl0pjpq9hg5l07cysbs1"),("lib","/07wb72syhv6ks5ilgzqlbjwgg30ycn0s76m0i2cwph6dhnvnhimy"),("name","deferred"),("out",""),("system","x86_64-linux")])',
    '/nix/store/x75vfswib36qp8ybc9zi7yss0nn9xfn1-down.drv':
        b'Derive([("out","/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down","","")],[("/nix/store/sm95j6031bclkfsgy58jk10l2078aab9-fod.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","down"),("out","/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down"),("src","/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod"),("system","x86_64-linux")])',
    '/nix/store/xvs2ry9wkfk61h4nv2rhdhx0k4cfk019-fod-empty.drv':
        b'Derive([("out","/nix/store/1sz0gwzg1hrh601cymlvrshjhj49n3yw-fod-empty","sha256","0000000000000000000000000000000000000000000000000000000000000000")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("name","fod-empty"),("out","/nix/store/1sz0gwzg1hrh601cymlvrshjhj49n3yw-fod-empty"),("outputHash",""),("outputHashAlgo","sha256"),("system","x86_64-linux")])',
    '/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv':
        b'Derive([("lib","","r:sha256",""),("out","","r:sha256","")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("lib","/0sra2y18lr3h6j58qjm0w46yv36h1wjmilb09n8aimdpivdymscx"),("name","ca"),("out","/1rz4g4znpzjwh1xymhjpm42vipw92pr73vdgl6xs1hycac8kf2n9"),("outputHashAlgo","sha256"),("outputHashMode","recursive"),("outputs","out lib"),("system","x86_64-linux")])',
    '/nix/store/yh313amhaxmh5kg7659n05cb5k168j1j-top.drv':
        b'Derive([("out","/nix/store/r7zh7nkysmj1s8qag2y95wrd0y5ki04j-top","","")],[("/nix/store/51whh93zyyyil8d6z12b7q4qd9slsvis-fod-flat.tar.gz.drv",["out"]),("/nix/store/8x0hm9464cl4vxg21qs9x9cifd3yia94-fod-rec-sha1.drv",["out"]),("/nix/store/f36hh73xmwp7jljf4szjr3s3sa3x32fa-fod-sha512.drv",["out"]),("/nix/store/gr7vfa34s4hn7qlcwgnx57ppc4rhdibp-fod-sha1.drv",["out"]),("/nix/store/iv9r79gsnaixm8sidj5ak0df20jsv1jm-use-dev.drv",["out"]),("/nix/store/l1x4mi4s40mrv60c7fs9y4km31klvlal-fod-md5.drv",["out"]),("/nix/store/r8sbrsnp4bihqxnsab9n1p3pzq9f2jz2-down.drv",["out"]),("/nix/store/x75vfswib36qp8ybc9zi7yss0nn9xfn1-down.drv",["out"]),("/nix/store/xvs2ry9wkfk61h4nv2rhdhx0k4cfk019-fod-empty.drv",["out"])],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),("deps","/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down /nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down /nix/store/aa5jjbai4dhw2iz8ljd7d4qwgl6pk3jl-use-dev"),("e","/nix/store/1sz0gwzg1hrh601cymlvrshjhj49n3yw-fod-empty"),("flat","/nix/store/acfval562chj84lj91s857br1r9ifimi-fod-flat.tar.gz"),("m","/nix/store/2h0i120faq6c1gnrpfxpdc7pmya7cslw-fod-md5"),("name","top"),("out","/nix/store/r7zh7nkysmj1s8qag2y95wrd0y5ki04j-top"),("rs","/nix/store/ac0vz2vqwqpa225bw6xlnx5dqbc79bj5-fod-rec-sha1"),("s512","/nix/store/wvf33jkyixl0r8jbnqaqmzl443xnl09j-fod-sha512"),("sha1","/nix/store/swhfzcvnwzqh9v2y9w8z2jcs86bmml23-fod-sha1"),("system","x86_64-linux")])',
}

CASES = [
    ('binary', '/nix/store/csc0k55yv31azbqlqvb4501a99nl6mh5-binary.drv', {'out': '/nix/store/rz2kb42df2j6n10c3g1xrliby7iw8d1v-binary'}),
    ('ca', '/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv', {'lib': '/07wb72syhv6ks5ilgzqlbjwgg30ycn0s76m0i2cwph6dhnvnhimy', 'out': '/1znll5bv5hgf5kfrhw652sx032bgzzigcl0pjpq9hg5l07cysbs1'}),
    ('caFlat', '/nix/store/kbn9wqjahx097qxza7py3km4ifigs545-ca-flat.drv', {'out': '/17cc0kacvclj037vlvy7plvyliicwpqk7ls1nv026s11g67nk76f'}),
    ('deferred', '/nix/store/vspdhzqhfyzyj2jr8lnhsxfxs9y2lgzx-deferred.drv', {'out': '/1mjwxzki573grbksbr1v1dy9354li8dcyvvaawilc3aibx1zxgfq'}),
    ('deferred2', '/nix/store/jdfr07zbsqsg6n8mpasjs10dz7kzbyqj-deferred2.drv', {'out': '/1856xfm5s43agiisd4qgkh4scw250y17k7l8n3354hf9qai37d75'}),
    ('downA', '/nix/store/r8sbrsnp4bihqxnsab9n1p3pzq9f2jz2-down.drv', {'out': '/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down'}),
    ('downB', '/nix/store/x75vfswib36qp8ybc9zi7yss0nn9xfn1-down.drv', {'out': '/nix/store/s6mgyd5qbb7vdhz18q5hahnb8wj58q1j-down'}),
    ('downImp', '/nix/store/nq6gxy74n19aaa5jjxzmj3b44lnp0vis-down-imp.drv', {'out': '/116h0vcv8fqjzqp1vqkp9b1iqlkqxp15hifi956kryllr91swhfi'}),
    ('fodEmpty', '/nix/store/xvs2ry9wkfk61h4nv2rhdhx0k4cfk019-fod-empty.drv', {'out': '/nix/store/1sz0gwzg1hrh601cymlvrshjhj49n3yw-fod-empty'}),
    ('fodFlat', '/nix/store/51whh93zyyyil8d6z12b7q4qd9slsvis-fod-flat.tar.gz.drv', {'out': '/nix/store/acfval562chj84lj91s857br1r9ifimi-fod-flat.tar.gz'}),
    ('fodMd5', '/nix/store/l1x4mi4s40mrv60c7fs9y4km31klvlal-fod-md5.drv', {'out': '/nix/store/2h0i120faq6c1gnrpfxpdc7pmya7cslw-fod-md5'}),
    ('fodRec', '/nix/store/hjh2bm3gmkmqj07k21c858jg5k34h6mq-fod.drv', {'out': '/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod'}),
    ('fodRec2', '/nix/store/sm95j6031bclkfsgy58jk10l2078aab9-fod.drv', {'out': '/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod'}),
    ('fodRecSha1', '/nix/store/8x0hm9464cl4vxg21qs9x9cifd3yia94-fod-rec-sha1.drv', {'out': '/nix/store/ac0vz2vqwqpa225bw6xlnx5dqbc79bj5-fod-rec-sha1'}),
    ('fodSha1', '/nix/store/gr7vfa34s4hn7qlcwgnx57ppc4rhdibp-fod-sha1.drv', {'out': '/nix/store/swhfzcvnwzqh9v2y9w8z2jcs86bmml23-fod-sha1'}),
    ('fodSha512', '/nix/store/f36hh73xmwp7jljf4szjr3s3sa3x32fa-fod-sha512.drv', {'out': '/nix/store/wvf33jkyixl0r8jbnqaqmzl443xnl09j-fod-sha512'}),
    ('imp', '/nix/store/063k7v39p1qr74jc37ms4y5rpkw9dsbc-imp.drv', {'out': '/0427qbs9y77yjn3135zgi27017v0cx2a3zjvz2knx763j2cbsk28'}),
    ('multi', '/nix/store/ssh7iwwxm3av571w13bpgh6jl9kjlhch-multi.drv', {'bin': '/nix/store/x928mix7ljy38whmmlsi58kiqivz0vg7-multi-bin', 'dev': '/nix/store/lhf6nsw59b436vmbzzdb2df98ig4xivq-multi-dev', 'out': '/nix/store/av3g38gpl356hf5624ximg3hwh0sip3q-multi'}),
    ('passFile', '/nix/store/i98fc8j3s7dwwvy2lvg0ldcs2zqjaw5f-pass-file.drv', {'out': '/nix/store/n8ib8r9affpz64w53ln2rh0zjwd99hnl-pass-file'}),
    ('simple', '/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv', {'out': '/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x'}),
    ('srcs', '/nix/store/6py31pgkq44v1hfk5hj0g5hpgsz4yrjg-srcs.drv', {'out': '/nix/store/0fqzfpmf5rvl2wq0yvq3wjhalmnjfrvl-srcs'}),
    ('structured', '/nix/store/p1yxpmj14pw12ncaap7wg9i5vji4rf40-structured.drv', {'doc': '/nix/store/55zjkz7chgix2wqshfzqirxf44sqsx72-structured-doc', 'out': '/nix/store/dz3yy5dhjnn758as09x5xfk3vfdblhhw-structured'}),
    ('top', '/nix/store/yh313amhaxmh5kg7659n05cb5k168j1j-top.drv', {'out': '/nix/store/r7zh7nkysmj1s8qag2y95wrd0y5ki04j-top'}),
    ('useDev', '/nix/store/iv9r79gsnaixm8sidj5ak0df20jsv1jm-use-dev.drv', {'out': '/nix/store/aa5jjbai4dhw2iz8ljd7d4qwgl6pk3jl-use-dev'}),
    ('values', '/nix/store/rrw835zq7v6a8km53lbjs5mgll0kvzas-a+b-c.d_e?f=g.drv', {'out': '/nix/store/2xipbi2jh2gnzrd4xr6dwhmwjplsjaf4-a+b-c.d_e?f=g'}),
]

LEGACY_JSON = {
    '/nix/store/063k7v39p1qr74jc37ms4y5rpkw9dsbc-imp.drv': {
        'outputs': {'out': {'hashAlgo': 'r:sha256', 'impure': True}},
        'inputSrcs': [],
        'inputDrvs': {},
    },
    '/nix/store/51whh93zyyyil8d6z12b7q4qd9slsvis-fod-flat.tar.gz.drv': {
        'outputs': {'out': {'path': '/nix/store/acfval562chj84lj91s857br1r9ifimi-fod-flat.tar.gz', 'hashAlgo': 'sha256', 'hash': 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447'}},
        'inputSrcs': [],
        'inputDrvs': {},
    },
    '/nix/store/hjh2bm3gmkmqj07k21c858jg5k34h6mq-fod.drv': {
        'outputs': {'out': {'path': '/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod', 'hashAlgo': 'r:sha256', 'hash': 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'}},
        'inputSrcs': [],
        'inputDrvs': {},
    },
    '/nix/store/iv9r79gsnaixm8sidj5ak0df20jsv1jm-use-dev.drv': {
        'outputs': {'out': {'path': '/nix/store/aa5jjbai4dhw2iz8ljd7d4qwgl6pk3jl-use-dev'}},
        'inputSrcs': [],
        'inputDrvs': {'/nix/store/ssh7iwwxm3av571w13bpgh6jl9kjlhch-multi.drv': ['bin', 'dev']},
    },
    '/nix/store/vspdhzqhfyzyj2jr8lnhsxfxs9y2lgzx-deferred.drv': {
        'outputs': {'out': {}},
        'inputSrcs': [],
        'inputDrvs': {'/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv': ['lib', 'out']},
    },
    '/nix/store/y21bfgk7dhg7xxbvsbvz06wyagx6wnpa-ca.drv': {
        'outputs': {'lib': {'hashAlgo': 'r:sha256'}, 'out': {'hashAlgo': 'r:sha256'}},
        'inputSrcs': [],
        'inputDrvs': {},
    },
    '/nix/store/6py31pgkq44v1hfk5hj0g5hpgsz4yrjg-srcs.drv': {
        'outputs': {'out': {'path': '/nix/store/0fqzfpmf5rvl2wq0yvq3wjhalmnjfrvl-srcs'}},
        'inputSrcs': ['/nix/store/jdp4xj2lvxbvxymzwa06cqmks1phda9n-t.txt', '/nix/store/krw2hf7pazdpf1gkf2kdnsx8zxri5rb3-tree',
                      '/nix/store/qjqcrhqkjmdgv3yqcgcd9fa7qi234hga-file.txt'],
        'inputDrvs': {},
    },
    '/nix/store/p1yxpmj14pw12ncaap7wg9i5vji4rf40-structured.drv': {
        'outputs': {'doc': {'path': '/nix/store/55zjkz7chgix2wqshfzqirxf44sqsx72-structured-doc'},
                    'out': {'path': '/nix/store/dz3yy5dhjnn758as09x5xfk3vfdblhhw-structured'}},
        'inputSrcs': [],
        'inputDrvs': {'/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv': ['out']},
    },
}


def _name(drv_path: str) -> str:
    return StorePath.from_base_name(drv_path.rpartition("/")[2]).drv_name()


PARSED = {p: parse_derivation(text, _name(p)) for p, text in DRVS.items()}
CASE_IDS = [c[0] for c in CASES]


def _oracle_hasher() -> ModuloHasher:
    return ModuloHasher(lambda p: PARSED[p])


# -- Nix 2.8's derivations ------------------------------------------------------------------------

@pytest.mark.parametrize("drv_path", sorted(DRVS))
def test_one_text_serves_every_unparse(drv_path):
    """DerivationText made once (as instantiate does) gives, in any order, what
    fresh ones give: the .drv and both modulo texts."""
    drv = PARSED[drv_path]
    text = DerivationText(drv)
    hasher = _oracle_hasher()
    shared = [text.modulo_text(hasher, True) if derivation_type(drv).kind == "input-addressed" else None,
              text.drv_text(), text.modulo_text(hasher, False), text.drv_text()]
    fresh = [DerivationText(drv).modulo_text(hasher, True) if shared[0] is not None else None,
             drv.to_aterm(), hasher.unparse_modulo(drv, mask=False), DRVS[drv_path]]
    assert shared == fresh



@pytest.mark.parametrize("drv_path", sorted(DRVS))
def test_oracle_drv_parses_and_prints_back(drv_path):
    drv = parse_derivation(DRVS[drv_path], _name(drv_path), strict=True)
    assert drv.to_aterm() == DRVS[drv_path]
    assert derivation_path(drv) == drv_path
    assert drv.path() == drv_path


@pytest.mark.parametrize("drv_path", sorted(DRVS))
def test_oracle_drv_invariants_hold(drv_path):
    assert check_invariants(PARSED[drv_path], _oracle_hasher(), drv_path) == []


def _fresh(drv: Derivation) -> tuple[Derivation, dict]:
    """What the evaluator hands to `instantiate`: everything but the outputs
    (their names aside) and the env variables named after them."""
    fresh = Derivation(name=drv.name, platform=drv.platform, builder=drv.builder, args=list(drv.args),
                       env={k: v for k, v in drv.env.items() if k not in drv.outputs},
                       structured_attrs=drv.structured_attrs)
    for path, node in drv.input_drvs.items():
        fresh.add_input_drv(path, *node.outputs)
    for path in drv.input_srcs:
        fresh.add_input_src(path)
    kinds = {type(o) for o in drv.outputs.values()}
    first = next(iter(drv.outputs.values()))
    kw: dict = {}
    if kinds == {CAFixed}:
        kw["fixed"] = first
    elif kinds == {CAFloating}:
        kw["content_addressed"] = (first.method, first.algo)
    elif kinds == {Impure}:
        kw.update(impure=True, content_addressed=(first.method, first.algo))
    return fresh, kw


@pytest.mark.parametrize("label,drv_path,outputs", CASES, ids=CASE_IDS)
def test_instantiate_reproduces_nix(label, drv_path, outputs):
    """derivationStrict's store half, from the evaluator's inputs alone: same
    .drv bytes, .drv path and outPaths (or placeholders) as Nix 2.8."""
    fresh, kw = _fresh(PARSED[drv_path])
    res = instantiate(fresh, sorted(PARSED[drv_path].outputs), _oracle_hasher(), **kw)
    assert res.aterm == DRVS[drv_path]
    assert res.drv_path == drv_path
    assert res.outputs == outputs
    assert res.warnings == []


def test_known_fact_simple_derivation():
    drv = Derivation(name="x", platform="x86_64-linux", builder="/bin/sh",
                     env={"builder": "/bin/sh", "name": "x", "system": "x86_64-linux"})
    res = instantiate(drv, ["out"], ModuloHasher())
    assert res.drv_path == "/nix/store/97qlv6h78lxlm9zc8849ahsbcklhsi2y-x.drv"
    assert res.outputs == {"out": "/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x"}
    assert res.aterm == (b'Derive([("out","/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x","","")],[],[],"x86_64-linux",'
                         b'"/bin/sh",[],[("builder","/bin/sh"),("name","x"),("out",'
                         b'"/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x"),("system","x86_64-linux")])')
    # the masked text the output path is made from
    masked = ModuloHasher().unparse_modulo(drv)
    assert masked == (b'Derive([("out","","","")],[],[],"x86_64-linux","/bin/sh",[],[("builder","/bin/sh"),'
                      b'("name","x"),("out",""),("system","x86_64-linux")])')
    assert make_output_path("out", sha256(masked), "x") == "/nix/store/s668cfx1vrqfjryf96jj8wfhg7f67dhj-x"


def test_fixed_output_inputs_are_modded_out():
    """downA and downB use fixed-output derivations that differ only in their
    builder: different .drv paths, the same output path (hash modulo)."""
    cases = {c[0]: c for c in CASES}
    assert cases["fodRec"][1] != cases["fodRec2"][1] and cases["fodRec"][2] == cases["fodRec2"][2]
    assert cases["downA"][1] != cases["downB"][1] and cases["downA"][2] == cases["downB"][2]
    h = _oracle_hasher()
    a, b = PARSED[cases["downA"][1]], PARSED[cases["downB"][1]]
    assert h.unparse_modulo(a) == h.unparse_modulo(b)
    assert h.input_modulo(cases["fodRec"][1]) == h.input_modulo(cases["fodRec2"][1])
    fod = PARSED[cases["fodRec"][1]]
    out = fod.outputs["out"]
    assert h.input_modulo(cases["fodRec"][1]) == {
        "out": sha256(f"fixed:out:r:sha256:{out.hash.base16}:/nix/store/lnpgaw3h64fdzcy9g0afhzkr8wappy4b-fod")}


def test_hash_derivation_modulo_2_8_interface():
    cases = {c[0]: c for c in CASES}
    read = PARSED.__getitem__
    simple = PARSED[cases["simple"][1]]
    masked = hash_derivation_modulo(simple, read, mask_outputs=True)
    unmasked = hash_derivation_modulo(simple, read)
    assert masked.kind == unmasked.kind == "regular"
    assert masked.hashes["out"] == sha256(ModuloHasher().unparse_modulo(simple))
    assert unmasked.hashes["out"] == sha256(DRVS[cases["simple"][1]])  # no inputs: the .drv itself
    fixed = hash_derivation_modulo(PARSED[cases["fodFlat"][1]], read)
    assert fixed.kind == "regular" and set(fixed.hashes) == {"out"}
    assert hash_derivation_modulo(PARSED[cases["ca"][1]], read).kind == "deferred"
    assert hash_derivation_modulo(PARSED[cases["deferred"][1]], read).kind == "deferred"
    impure = hash_derivation_modulo(PARSED[cases["imp"][1]], read)
    assert impure.kind == "deferred" and impure.hashes == {"out": sha256("impure")}
    # a derivation depending on the deferred one is deferred too
    assert _oracle_hasher().input_modulo(cases["deferred2"][1]) is DEFERRED


def test_modulo_cache_reads_each_input_once():
    reads = []

    def read(p):
        reads.append(p)
        return PARSED[p]

    h = ModuloHasher(read)
    top = next(c for c in CASES if c[0] == "top")[1]
    h.input_modulo(top)
    h.input_modulo(top)
    assert len(reads) == len(set(reads))


def test_remember_avoids_reading():
    cases = {c[0]: c for c in CASES}
    h = ModuloHasher()  # cannot read anything
    fresh, kw = _fresh(PARSED[cases["fodRec"][1]])
    assert instantiate(fresh, ["out"], h, **kw).drv_path == cases["fodRec"][1]
    down, kw = _fresh(PARSED[cases["downA"][1]])
    assert instantiate(down, ["out"], h).outputs == cases["downA"][2]
    with pytest.raises(StoreError, match="cannot read derivation"):
        h.input_modulo(cases["simple"][1])


@pytest.mark.parametrize("drv_path", sorted(LEGACY_JSON))
def test_legacy_show_derivation_json(drv_path):
    got = to_legacy_json(PARSED[drv_path])[drv_path]
    want = LEGACY_JSON[drv_path]
    assert {k: got[k] for k in want} == want
    drv = PARSED[drv_path]
    assert got["system"] == drv.platform and got["args"] == drv.args
    assert (drv.structured_attrs is not None) == ("__json" in got["env"])


def test_non_utf8_bytes_round_trip():
    drv_path = next(c for c in CASES if c[0] == "binary")[1]
    drv = PARSED[drv_path]
    assert drv.env["data"].encode("utf-8", "surrogateescape") == b"\xff\xfe binary \xc3"
    assert drv.to_aterm() == DRVS[drv_path]


def test_structured_attrs_live_in_env_json():
    drv_path = next(c for c in CASES if c[0] == "structured")[1]
    drv = PARSED[drv_path]
    assert "__json" not in drv.env
    assert drv.structured_attrs_value()["nested"] == {"a": {"b": True}, "s": "\u00e9\n\"q\""}
    assert to_json(drv)["structuredAttrs"] == drv.structured_attrs_value()
    clash = Derivation(name="x", outputs={"out": Deferred()}, env={"__json": "{}"}, structured_attrs="{}")
    with pytest.raises(InvalidDerivation, match="Cannot have an environment variable named '__json'"):
        clash.to_aterm()


def test_read_derivation_file(tmp_path):
    drv_path = next(c for c in CASES if c[0] == "multi")[1]
    f = tmp_path / drv_path.rpartition("/")[2]
    f.write_bytes(DRVS[drv_path])
    assert read_derivation_file(str(f)) == PARSED[drv_path]


# -- output kinds and errors ---------------------------------------------------------------------

def test_derivation_types():
    ia = Derivation("x", outputs={"out": InputAddressed("/nix/store/" + "0" * 32 + "-x")})
    assert derivation_type(ia).kind == "input-addressed" and derivation_type(ia).has_known_output_paths
    assert derivation_type(Derivation("x", outputs={"out": Deferred()})).deferred
    fixed = Derivation("x", outputs={"out": CAFixed("flat", sha256(b""))})
    assert derivation_type(fixed).is_fixed
    assert not derivation_type(Derivation("x", outputs={"out": CAFloating("nar", "sha256")})).is_fixed
    assert derivation_type(Derivation("x", outputs={"out": Impure("nar", "sha256")})).is_impure


@pytest.mark.parametrize("outputs,message", [
    ({}, "must have at least one output"),
    ({"out": Deferred(), "dev": CAFloating("nar", "sha256")}, "can't mix derivation output types"),
    ({"out": CAFixed("flat", Hash("sha256", bytes(32))), "dev": CAFixed("flat", Hash("sha256", bytes(32)))},
     "only one fixed output is allowed for now"),
    ({"bin": CAFixed("flat", Hash("sha256", bytes(32)))}, 'single fixed output must be named "out"'),
    ({"out": CAFloating("nar", "sha256"), "dev": CAFloating("nar", "sha512")},
     "all floating outputs must use the same hash algorithm"),
])
def test_invalid_output_combinations(outputs, message):
    with pytest.raises(InvalidDerivation) as e:
        derivation_type(Derivation("x", outputs=outputs))
    assert str(e.value) == message


def test_fixed_output_with_several_outputs_is_refused():
    with pytest.raises(InvalidDerivation, match="multiple outputs are not supported in fixed-output derivations"):
        set_outputs(Derivation("x"), ["out", "dev"], fixed=CAFixed("nar", sha256(b"")))


def test_instantiate_checks_the_name():
    with pytest.raises(StoreError, match="name '~jiggle~' contains illegal character '~'"):
        instantiate(Derivation("~jiggle~", platform="s", builder="b"), ["out"], ModuloHasher())


@pytest.mark.parametrize("text,message", [
    (b'Derive([("out","/nix/store/p-x","","")],[],[],"s","b",[],[])', "'p-x' is too short to be a valid store path"),
    (b'Derive([("out","/tmp/00000000000000000000000000000000-x","","")],[],[],"s","b",[],[])',
     "path '/tmp/00000000000000000000000000000000-x' is not in the Nix store"),
    (b'Derive([("out","/nix/store/00000000000000000000000000000000-x","","abc")],[],[],"s","b",[],[])',
     "input-addressed derivation output should not specify a hash"),
    (b'Derive([("out","/nix/store/00000000000000000000000000000000-x","r:sha256","")],[],[],"s","b",[],[])',
     "content-addressing derivation output should not specify output path"),
    (b'Derive([("out","","r:sha3","")],[],[],"s","b",[],[])',
     "unknown hash algorithm 'sha3', expect 'blake3', 'md5', 'sha1', 'sha256', or 'sha512'"),
    (b'Derive([("out","/nix/store/00000000000000000000000000000000-x","sha256","abc")],[],[],"s","b",[],[])',
     "hash 'abc' has wrong length for hash algorithm 'sha256'"),
])
def test_semantic_errors(text, message):
    with pytest.raises(StoreError) as e:
        parse_derivation(text, "x")
    assert str(e.value) == message


# -- Nix's test data: hash modulo ------------------------------------------------------------------

HM_STEMS = ["source-first", "source-second", "intermediate-first", "intermediate-second", "parent-split",
            "parent-joined"]


def _hm(stem: str) -> Derivation:
    name = json.loads((DATA / "hash-modulo" / f"{stem}.json").read_text())["name"]
    return parse_derivation((DATA / "hash-modulo" / f"{stem}.drv").read_bytes(), name, strict=True)


@needs_data
def test_hash_modulo_chain():
    """Nix's libstore-tests/derivation/modulo.cc graph: each layer's .drv paths are
    the ones the next layer names, and the intermediate "modulo" texts match."""
    drvs = {s: _hm(s) for s in HM_STEMS}
    paths = {s: derivation_path(d) for s, d in drvs.items()}
    assert list(drvs["intermediate-first"].input_drvs) == [paths["source-first"]]
    assert list(drvs["intermediate-second"].input_drvs) == [paths["source-second"]]
    assert drvs["parent-split"].input_drvs == {paths["intermediate-first"]: InputDrv({"out"}),
                                               paths["intermediate-second"]: InputDrv({"dev"})}
    assert drvs["parent-joined"].input_drvs == {paths["intermediate-second"]: InputDrv({"dev", "out"})}
    by_path = {paths[s]: d for s, d in drvs.items()}
    hasher = ModuloHasher(by_path.__getitem__)
    for stem in HM_STEMS[2:]:
        assert hasher.unparse_modulo(drvs[stem]) == (DATA / "hash-modulo" / f"{stem}-modulo.drv").read_bytes()
    # same modulo text, hence the same hash, for the split and the joined parent
    assert hasher.hash_modulo(drvs["parent-split"]) == hasher.hash_modulo(drvs["parent-joined"])
    assert hasher.input_modulo(paths["source-first"]) == hasher.input_modulo(paths["source-second"])
    assert hasher.input_modulo(paths["intermediate-first"]) == hasher.input_modulo(paths["intermediate-second"])
    # asking for fewer outputs is a different derivation
    just_out = Derivation("parent", outputs={"out": Deferred()}, platform="x86_64-linux", builder="/bin/parent")
    just_out.add_input_drv(paths["intermediate-first"], "out")
    assert hasher.hash_modulo(just_out) != hasher.hash_modulo(drvs["parent-joined"])


@needs_data
def test_hash_modulo_derivations_built_as_nix_builds_them():
    """makeSource / makeIntermediate / makeParent of modulo.cc, built here and
    filled in: byte-identical to Nix's files."""
    nar_hash = Hash.parse_any_prefixed("sha256-iUUXyRY8iW7DGirb0zwGgf1fRbLA7wimTJKgP7l/OQ8=")
    hasher = ModuloHasher()

    def source(builder):
        d = Derivation("source", outputs={"out": CAFixed("nar", nar_hash)}, platform="x86_64-linux", builder=builder)
        fill_in_output_paths(d, hasher)
        hasher.remember(derivation_path(d), d)
        return d

    def intermediate(src):
        d = Derivation("intermediate", outputs={"dev": Deferred(), "out": Deferred()}, platform="x86_64-linux",
                       builder="/bin/intermediate")
        d.add_input_drv(derivation_path(src), "out")
        fill_in_output_paths(d, hasher)
        hasher.remember(derivation_path(d), d)
        return d

    def parent(*inputs):
        d = Derivation("parent", outputs={"out": Deferred()}, platform="x86_64-linux", builder="/bin/parent")
        for drv, out in inputs:
            d.add_input_drv(derivation_path(drv), out)
        return d

    built = {"source-first": source("/bin/first"), "source-second": source("/bin/second")}
    built["intermediate-first"] = intermediate(built["source-first"])
    built["intermediate-second"] = intermediate(built["source-second"])
    built["parent-split"] = parent((built["intermediate-first"], "out"), (built["intermediate-second"], "dev"))
    built["parent-joined"] = parent((built["intermediate-second"], "out"), (built["intermediate-second"], "dev"))
    for stem, drv in built.items():
        assert drv.to_aterm() == (DATA / "hash-modulo" / f"{stem}.drv").read_bytes(), stem
        assert to_json(drv) == json.loads((DATA / "hash-modulo" / f"{stem}.json").read_text()), stem


# -- Nix's test data: fillInOutputPaths ------------------------------------------------------------

def _dependency() -> tuple[str, Derivation]:
    """invariants.cc's makeCAFloatingDependency("dependency")."""
    dep = Derivation("dependency", outputs={"out": CAFloating("nar", "sha256")}, platform="x86_64-linux",
                     builder="/bin/sh", env={"out": ""})
    return derivation_path(dep), dep


def _inv(name: str) -> Derivation:
    return from_json(json.loads((DATA / "invariants" / f"{name}.json").read_text()))


@needs_data
def test_ca_floating_dependency_path():
    assert _dependency()[0] == STORE_DIR + "/" + next(iter(_inv("depends-on-drv-pre").input_drvs)).rpartition("/")[2]


@needs_data
@pytest.mark.parametrize("stem", ["filled-in-deferred-empty-env-var", "filled-in-deferred-no-env-var"])
def test_fill_in_deferred(stem):
    drv = _inv(f"{stem}-pre")
    assert fill_in_output_paths(drv, ModuloHasher()) == []
    assert to_json(drv) == json.loads((DATA / "invariants" / f"{stem}-post.json").read_text())
    assert drv.env["out"] == drv.outputs["out"].path


@needs_data
def test_fill_in_is_idempotent():
    drv = _inv("filled-in-idempotent")
    before = to_json(drv)
    fill_in_output_paths(drv, ModuloHasher())
    assert to_json(drv) == before
    assert check_invariants(drv, ModuloHasher()) == []


@needs_data
def test_deferred_stays_deferred_with_ca_inputs():
    dep_path, dep = _dependency()
    drv = _inv("depends-on-drv-pre")
    before = to_json(drv)
    fill_in_output_paths(drv, ModuloHasher({dep_path: dep}.__getitem__))
    assert to_json(drv) == before


@needs_data
@pytest.mark.parametrize("stem,message", [
    ("bad-path", "derivation has incorrect output '/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-wrong-name', should be "
                 "'/nix/store/ijjrrpw9gxqjr96w79z1jdwsndy5jxcr-bad-path'"),
    ("bad-depends-on-drv-pre", "derivation has incorrect output "
                               "'/nix/store/c015dhfh5l0lp6wxyvdn7bmwhbbr6hr9-wrong-name', should be deferred"),
])
def test_fill_in_rejects_wrong_paths(stem, message):
    dep_path, dep = _dependency()
    with pytest.raises(InvalidDerivation) as e:
        fill_in_output_paths(_inv(stem), ModuloHasher({dep_path: dep}.__getitem__))
    assert str(e.value) == message


@needs_data
def test_wrong_env_var_of_a_deferred_output_warns_and_is_fixed():
    """bad-env-var.json checkpoints a test Nix disabled (`#if 0`); current Nix
    only warns for a formerly deferred output, and fixes the variable."""
    drv = _inv("bad-env-var")
    warnings = fill_in_output_paths(drv, ModuloHasher())
    assert len(warnings) == 1 and warnings[0].startswith(
        "derivation has incorrect environment variable 'out', should be '/nix/store/")
    assert drv.env["out"] == drv.outputs["out"].path
    # for an output that already has its path, a wrong variable is an error
    drv = _inv("filled-in-idempotent")
    drv.env["out"] = "/nix/store/wrong"
    with pytest.raises(InvalidDerivation) as e:
        check_invariants(drv, ModuloHasher())
    assert str(e.value) == ("derivation has incorrect environment variable 'out', should be "
                            "'/nix/store/w4bk7hpyxzgy2gx8fsa8f952435pll3i-filled-in-already' but is actually "
                            "'/nix/store/wrong'")


# -- Nix's test data: resolution ----------------------------------------------------------------

def _try_resolve_stems():
    if not DATA.is_dir():
        return ABSENT
    return sorted(p.name[:-len("-before.json")] for p in (DATA / "try-resolve").glob("*-before.json"))


@needs_data
@pytest.mark.parametrize("stem", _try_resolve_stems())
def test_try_resolve(stem):
    d = DATA / "try-resolve"
    before = json.loads((d / f"{stem}-before.json").read_text())
    trace = json.loads((d / f"{stem}-buildTrace.json").read_text())
    built = {(f"{STORE_DIR}/{k['drvPath']}", k["output"]): f"{STORE_DIR}/{v}" for k, v in trace}
    drv = from_json(before)
    assert to_json(drv) == before
    resolved = try_resolve(drv, lambda p, o: built.get((p, o)))
    expected = [d / f"{stem}-{s}.json" for s in ("after", "resolved") if (d / f"{stem}-{s}.json").exists()]
    if not expected:
        assert resolved is None  # resolution-failure: an input was never built
        return
    for f in expected:
        assert to_json(resolved, basic=True) == json.loads(f.read_text())


# -- Nix's test data: JSON ------------------------------------------------------------------------

def _json_files():
    if not DATA.is_dir():
        return ABSENT
    # build traces are the other half of the try-resolve cases, read by test_try_resolve
    return sorted(p.relative_to(DATA).as_posix() for p in DATA.rglob("*.json")
                  if not p.name.endswith("-buildTrace.json"))


@needs_data
@pytest.mark.parametrize("rel", _json_files())
def test_json_forms(rel):
    obj = json.loads((DATA / rel).read_text())
    if isinstance(obj, dict) and obj.get("version") == 4:
        drv = from_json(obj)
        assert to_json(drv, basic=isinstance(obj["inputs"], list)) == obj
        if "__json" not in obj["env"]:
            again = parse_derivation(drv.to_aterm(), drv.name, strict=True)
            assert to_json(again, basic=isinstance(obj["inputs"], list)) == obj
    elif Path(rel).name.startswith("output-"):
        # one output, as `nix derivation show` prints it
        from nixlang.store.derivation import _output_from_json, _output_to_json
        out = _output_from_json(obj)
        if isinstance(out, InputAddressed):
            out = InputAddressed(f"{STORE_DIR}/{out.path}")
        assert _output_to_json(out) == obj
    else:
        pytest.skip(f"{rel} holds derivation options (parsed from env by the builder), not a format the store "
                    "layer implements")


@needs_data
@pytest.mark.parametrize("rel", ["ia/advanced-attributes-defaults.json",
                                 "ia/advanced-attributes-structured-attrs-defaults.json"])
def test_input_addressed_json_paths_check_out(rel):
    """These have no input derivations, so their output paths can be checked —
    the structured-attrs one also checks that `__json` is dumped as Nix does."""
    drv = from_json(json.loads((DATA / rel).read_text()))
    assert check_invariants(drv, ModuloHasher()) == []


def test_json_version_is_checked():
    with pytest.raises(FormatError, match="Unsupported derivation JSON format version 3"):
        from_json({"version": 3})


# -- differential: random derivations against the real Nix -------------------------------------------

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NIX = shutil.which("nix-instantiate")


def nix_string(s: str) -> str:
    return '"' + (s.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
                  .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")) + '"'


text = st.text(st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)), max_size=12)
attr_names = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,6}", fullmatch=True).filter(
    lambda n: n not in ("name", "system", "builder", "args", "outputs", "out", "dev", "bin", "rec", "let", "in",
                        "if", "then", "else", "with", "assert", "inherit", "or") and not n.startswith("__"))
specs = st.fixed_dictionaries({
    "name": st.from_regex(r"[a-z][a-z0-9+._-]{0,10}", fullmatch=True),
    "builder": text.filter(bool), "args": st.lists(text, max_size=3),
    "env": st.dictionaries(attr_names, text, max_size=4),
    "outputs": st.sampled_from([None, ["out"], ["out", "dev"], ["bin", "out"]]),
    "fixed": st.sampled_from([None, ("flat", "sha256"), ("recursive", "sha256"), ("flat", "sha1"),
                              ("recursive", "sha512")]),
})


def _expr(spec) -> str:
    attrs = {"name": nix_string(spec["name"]), "system": '"x86_64-linux"', "builder": nix_string(spec["builder"]),
             "args": "[ " + " ".join(nix_string(a) for a in spec["args"]) + " ]"}
    attrs.update({k: nix_string(v) for k, v in spec["env"].items()})
    if spec["fixed"]:
        mode, algo = spec["fixed"]
        attrs.update(outputHashMode=f'"{mode}"', outputHashAlgo=f'"{algo}"',
                     outputHash=nix_string(Hash(algo, bytes(range(len(hashlib_new(algo).digest())))).base16))
    elif spec["outputs"]:
        attrs["outputs"] = "[ " + " ".join(f'"{o}"' for o in spec["outputs"]) + " ]"
    body = " ".join(f"{k} = {v};" for k, v in attrs.items())
    return (f"let d = derivation {{ {body} }}; in {{ inherit (d) drvPath; "
            f"outs = builtins.listToAttrs (map (o: {{ name = o; value = d.${{o}}.outPath; }}) (d.outputs or [\"out\"])); }}")


def hashlib_new(algo):
    import hashlib
    return hashlib.new(algo)


def _ours(spec):
    env = {"name": spec["name"], "system": "x86_64-linux", "builder": spec["builder"], **spec["env"]}
    outputs = ["out"]
    kw = {}
    if spec["fixed"]:
        mode, algo = spec["fixed"]
        env.update(outputHashMode=mode, outputHashAlgo=algo,
                   outputHash=Hash(algo, bytes(range(len(hashlib_new(algo).digest())))).base16)
        kw["fixed"] = CAFixed("nar" if mode == "recursive" else "flat",
                              Hash(algo, bytes(range(len(hashlib_new(algo).digest())))))
    elif spec["outputs"]:
        outputs = spec["outputs"]
        env["outputs"] = " ".join(outputs)
    drv = Derivation(name=spec["name"], platform="x86_64-linux", builder=spec["builder"], args=spec["args"], env=env)
    res = instantiate(drv, outputs, ModuloHasher(), **kw)
    return {"drvPath": res.drv_path, "outs": res.outputs}


@pytest.mark.skipif(NIX is None, reason="nix-instantiate is not on PATH")
@given(st.lists(specs, min_size=1, max_size=8))
@settings(max_examples=30, deadline=None)
def test_random_derivations_match_real_nix(batch):
    expr = "[ " + " ".join(f"({_expr(s)})" for s in batch) + " ]"
    out = subprocess.run([NIX, "--readonly-mode", "--eval", "--strict", "--json", "--expr", expr],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "NIX_STORE_DIR": "/nix/store"})
    assert out.returncode == 0, out.stderr
    assert [_ours(s) for s in batch] == json.loads(out.stdout)
