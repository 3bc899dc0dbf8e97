"""The iOS parsers never raise, whatever the bytes (bounded hypothesis runs)."""

from __future__ import annotations

import json
import plistlib
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ios_frames import add, frame

from stalkerscan.model.artifacts import IosArtifact, MemoryEvidence
from stalkerscan.model.common import ParseProblem
from stalkerscan.model.serialize import to_data
from stalkerscan.parse.ios.apps import parse_app_list
from stalkerscan.parse.ios.inventory import build_ios_inventory
from stalkerscan.parse.ios.jailbreak import parse_service_probe
from stalkerscan.parse.ios.lockdown import parse_lockdown_values
from stalkerscan.parse.ios.profiles import parse_cloud_configuration, parse_profile_list

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

scalars = st.one_of(st.booleans(), st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=False),
                    st.text(max_size=40), st.binary(max_size=40))
plist_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(st.text(max_size=20), children, max_size=5)),
    max_leaves=30,
)
KEYS = ["Request", "Value", "Error", "Status", "CurrentList", "LookupResult", "Total", "OrderedIdentifiers",
        "ProfileManifest", "ProfileMetadata", "CloudConfiguration", "ErrorChain", "Port", "CFBundleIdentifier",
        "ApplicationType", "SignerIdentity", "Entitlements", "Path", "PayloadContent", "PayloadType"]
answers = st.dictionaries(st.sampled_from(KEYS), plist_values, max_size=8)

def encoded(item, binary: bool) -> bytes:
    """XML when the content allows it (no control characters), else binary."""
    try:
        return frame(item, binary=binary)
    except ValueError:
        return frame(item, binary=True)


PARSERS = (
    parse_lockdown_values,
    parse_app_list,
    parse_profile_list,
    parse_cloud_configuration,
    lambda data: parse_service_probe(data, "com.apple.afc2"),
)


def assert_bounded(result) -> None:
    """Problems are records with short, printable excerpts, capped in number."""
    assert isinstance(result.problems, tuple) and len(result.problems) <= 101
    assert all(isinstance(p, ParseProblem) and len(p.excerpt) <= 200 for p in result.problems)
    assert all(ch.isprintable() for p in result.problems for ch in p.excerpt)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data):
    for parser in PARSERS:
        assert_bounded(parser(data))
        assert_bounded(parser(struct.pack(">I", len(data)) + data))


@FUZZ
@given(st.lists(answers, min_size=1, max_size=3), st.booleans())
def test_random_plist_answers(items, binary):
    data = b"".join(encoded(item, binary) for item in items)
    for parser in PARSERS:
        assert_bounded(parser(data))
    evidence = MemoryEvidence()
    for artifact in IosArtifact:
        if artifact is not IosArtifact.BACKUP_FILE:
            add(evidence, artifact.value, data, subject="com.apple.afc2")
    inventory = build_ios_inventory(evidence)
    # Whatever was parsed must serialise for inventory.json.
    json.dumps(to_data(inventory))


@FUZZ
@given(st.lists(plist_values, max_size=4))
def test_app_entries_of_any_shape(entries):
    page = {"Status": "BrowsingApplications", "CurrentList": entries}
    result = parse_app_list(encoded(page, False) + frame({"Status": "Complete"}))
    assert_bounded(result)
    assert result.complete
    # Only dictionaries with a bundle id become apps, each once.
    assert len(result.apps) <= len(entries)
    assert len({app.bundle_id for app in result.apps}) == len(result.apps)


def test_deeply_nested_plist_is_a_problem():
    nested: object = "leaf"
    for _ in range(3000):
        nested = [nested]
    try:
        body = plistlib.dumps({"Value": nested}, fmt=plistlib.FMT_BINARY)
    except RecursionError:
        body = b"<plist>" + b"<array>" * 3000
    data = struct.pack(">I", len(body)) + body
    result = parse_lockdown_values(data)
    assert result.device.udid is None
    assert not result.recognized and result.problems
