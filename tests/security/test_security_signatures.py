"""A compromised or malicious signature feed, and someone else's files in the YARA cache.

What a feed can do is bounded: its YAML is read as plain strings (no tags, anchors or
constructors), its YARA is compiled by libyara with ``include`` refused, downloads are
size-limited and swapped in atomically, and redirects never leave https or reach file:.
"""

from __future__ import annotations

import os
import stat
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from stalkerscan.errors import SignatureUpdateError
from stalkerscan.match.yara_scanner import compile_rules
from stalkerscan.signatures.lint_paths import lint_paths
from stalkerscan.signatures.update import _HttpOnlyRedirects, current_set, update_signatures
from stalkerscan.signatures.yamlsafe import load_yaml

IOC = b"""- name: ExampleSpy
  type: stalkerware
  packages:
  - org.example.spy
"""
RULE = 'rule example_rule { strings: $a = "org.example.spy" condition: $a }\n'
SECRET = "PRIVATE-KEY-MATERIAL-NEVER-TO-BE-READ"


def _feed(folder: Path, rules: str) -> Path:
    folder.mkdir()
    (folder / "ioc.yaml").write_bytes(IOC)
    (folder / "rules.yar").write_text(rules)
    return folder


def test_update_refuses_yara_include_directives(tmp_path):
    secret = tmp_path / "secret.yar"
    secret.write_text(RULE)  # even a file that would compile is never pulled in
    feed = _feed(tmp_path / "feed", f'include "{secret}"\n' + RULE.replace("example_rule", "other"))
    data = tmp_path / "data"
    with pytest.raises(SignatureUpdateError) as info:
        update_signatures(str(feed), data_dir=data)
    assert "do not compile" in info.value.message
    assert current_set(data) is None


def test_include_of_a_private_file_never_shows_its_content(tmp_path):
    secret = tmp_path / "id_rsa"
    secret.write_text(SECRET + "\n")
    feed = _feed(tmp_path / "feed", f'include "{secret}"\n' + RULE)
    with pytest.raises(SignatureUpdateError) as info:
        update_signatures(str(feed), data_dir=tmp_path / "data")
    assert SECRET not in str(info.value)


def test_lint_and_scan_compile_refuse_includes_too(tmp_path):
    other = tmp_path / "other.yar"
    other.write_text(RULE)
    rules = tmp_path / "with_include.yar"
    rules.write_text(f'include "{other}"\nrule x {{ condition: true }}\n')
    report = lint_paths([rules])
    assert [p.code for p in report.errors] == ["yara-syntax"]
    compiled = compile_rules([rules], cache_dir=tmp_path / "cache")
    assert compiled.rules is None and compiled.errors


@pytest.mark.parametrize(("origin", "target", "allowed"), [
    ("https://feed.example.org/ioc.yaml", "http://feed.example.org/ioc.yaml", False),
    ("https://feed.example.org/ioc.yaml", "file:///etc/passwd", False),
    ("https://feed.example.org/ioc.yaml", "ftp://feed.example.org/ioc.yaml", False),
    ("https://feed.example.org/ioc.yaml", "data:text/plain,x", False),
    ("http://feed.example.org/ioc.yaml", "file:///etc/passwd", False),
    ("https://feed.example.org/ioc.yaml", "https://mirror.example.org/ioc.yaml", True),
    ("http://127.0.0.1:8000/ioc.yaml", "http://127.0.0.1:8000/v2/ioc.yaml", True),
])
def test_redirects_never_downgrade_or_leave_http(origin, target, allowed):
    handler = _HttpOnlyRedirects()
    request = urllib.request.Request(origin)
    headers = Message()
    if allowed:
        follow = handler.redirect_request(request, None, 302, "Found", headers, target)
        assert follow.full_url == target
    else:
        with pytest.raises(urllib.error.HTTPError):
            handler.redirect_request(request, None, 302, "Found", headers, target)


def test_only_http_handlers_are_installed():
    from stalkerscan.signatures.update import _opener

    kinds = {type(h).__name__ for h in _opener().handlers}
    assert not {"FileHandler", "FTPHandler", "CacheFTPHandler", "DataHandler"} & kinds


@pytest.mark.parametrize("text", [
    "a: !!python/object/apply:os.system ['echo pwned']\n",
    "a: !!python/name:os.system\n",
    "a: &x [1]\nb: *x\n",
    "- &a [x, x, x, x, x, x, x, x, x]\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n",
])
def test_feed_yaml_never_constructs_objects_or_expands_aliases(text):
    from stalkerscan.errors import SignatureError

    with pytest.raises(SignatureError):
        load_yaml(text, "feed.yaml")


# --------------------------------------------------------------------------- YARA cache
@pytest.mark.skipif(sys.platform.startswith("win"), reason="POSIX permissions")
def test_yara_cache_planted_by_someone_else_is_not_loaded(tmp_path):
    rules = tmp_path / "rules.yar"
    rules.write_text(RULE)
    cache = tmp_path / "cache"
    first = compile_rules([rules], cache_dir=cache)
    assert first.rules is not None and not first.from_cache
    cached = next(cache.iterdir())
    assert stat.S_IMODE(cached.stat().st_mode) & 0o077 == 0  # private when written
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert compile_rules([rules], cache_dir=cache).from_cache
    # A cache file (or folder) others could have written is compiled afresh instead.
    os.chmod(cached, 0o666)
    assert not compile_rules([rules], cache_dir=cache).from_cache
    os.chmod(cached, 0o600)
    os.chmod(cache, 0o777)
    try:
        assert not compile_rules([rules], cache_dir=cache).from_cache
    finally:
        os.chmod(cache, 0o700)
