"""The safe YAML loader: strings only, no tags, no aliases, bounded, located errors."""

from __future__ import annotations

import pytest

from stalkerscan.errors import SignatureError
from stalkerscan.signatures import yamlsafe
from stalkerscan.signatures.yamlsafe import load_yaml


def test_values_stay_strings_with_lines():
    doc = load_yaml(b"a: 1.0\nb: no\nc:\n  - 0x12\n  - 2023-05-01\n", "f.yaml")
    assert doc.data == {"a": "1.0", "b": "no", "c": ["0x12", "2023-05-01"]}
    assert doc.line(("c", 1)) == 5
    assert doc.where(("b",)) == "f.yaml:2"


def test_malformed_yaml_is_located():
    with pytest.raises(SignatureError) as info:
        load_yaml(b"id: x\nname: [unclosed\ntype: stalkerware\n", "bad.yaml")
    assert info.value.location.startswith("bad.yaml:")
    assert "YAML syntax error" in info.value.message


def test_billion_laughs_is_refused_at_the_first_alias():
    bomb = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for level in "bcdefghi":
        prev = chr(ord(level) - 1)
        bomb += f"{level}: &{level} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n".encode()
    with pytest.raises(SignatureError) as info:
        load_yaml(bomb, "bomb.yaml")
    assert "aliases" in info.value.message
    assert info.value.location == "bomb.yaml:2"


def test_scalar_alias_is_refused_too():
    with pytest.raises(SignatureError, match="aliases"):
        load_yaml(b"a: &x com.example.one\nb: *x\n", "alias.yaml")


@pytest.mark.parametrize("text", [
    b"a: !!python/object/apply:os.system ['true']\n",
    b"a: !!binary aGVsbG8=\n",
    b"a: !custom value\n",
    b"a: !!int 5\n",
])
def test_explicit_tags_are_refused(text):
    with pytest.raises(SignatureError, match="tag") as info:
        load_yaml(text, "tags.yaml")
    assert info.value.location == "tags.yaml:1"


def test_huge_file_is_refused_before_parsing():
    with pytest.raises(SignatureError, match="limit") as info:
        load_yaml(b"a: " + b"x" * 2000 + b"\n", "huge.yaml", max_bytes=1000)
    assert info.value.location == "huge.yaml"


def test_duplicate_keys_are_located():
    with pytest.raises(SignatureError, match="appears twice") as info:
        load_yaml(b"id: a\nname: b\nid: c\n", "dup.yaml")
    assert info.value.location == "dup.yaml:3"


def test_deep_nesting_is_refused():
    deep = b"a: " + b"[" * 200 + b"]" * 200 + b"\n"
    with pytest.raises(SignatureError, match="nesting"):
        load_yaml(deep, "deep.yaml")


def test_too_many_nodes_is_refused(monkeypatch):
    monkeypatch.setattr(yamlsafe, "MAX_NODES", 50)
    with pytest.raises(SignatureError, match="more than 50"):
        load_yaml(("items:\n" + "".join(f"  - v{i}\n" for i in range(100))).encode(), "many.yaml")


def test_non_utf8_is_located():
    with pytest.raises(SignatureError, match="UTF-8") as info:
        load_yaml(b"a: b\nc: \xff\xfe\n", "enc.yaml")
    assert info.value.location == "enc.yaml:2"


def test_multiple_documents_are_refused():
    with pytest.raises(SignatureError, match="another document") as info:
        load_yaml(b"a: 1\n---\nb: 2\n", "multi.yaml")
    assert info.value.location == "multi.yaml:2"
