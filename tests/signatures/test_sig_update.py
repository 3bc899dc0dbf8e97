"""Signature updates against a loopback HTTP server: atomic install, metadata, and the
previous set kept intact on every kind of failure (HTTP 500, dropped connection, truncated
body, invalid content, YARA that does not compile, a redirect to a file: URL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stalkerscan.errors import SignatureUpdateError
from stalkerscan.signatures import (
    DEFAULT_SOURCES,
    current_set,
    load_signature_set,
    sources_from,
    update_signatures,
)

# Small synthetic feeds in Echap's formats (fictional identifiers only).
IOC = b"""- name: ExampleSpy
  type: stalkerware
  packages:
  - org.example.spy
  certificates:
  - ABABABABABABABABABABABABABABABABABABABAB
  c2:
    domains:
    - c2.example.org
"""
WATCHWARE = b"""- name: ExampleWatch
  type: watchware
  packages:
  - org.example.watch
"""
SAMPLES = (b"SHA256,Package Name,Certificate,Version,App\n"
           + b"ef" * 32 + b",org.example.spy,ABABABABABABABABABABABABABABABABABABABAB,1,ExampleSpy\n")
RULES = b'rule example_rule { strings: $a = "org.example.spy" condition: $a }\n'
GOOD = {"/ioc.yaml": IOC, "/watchware.yaml": WATCHWARE, "/samples.csv": SAMPLES, "/rules.yar": RULES}


class FeedServer:
    """A loopback HTTP server whose answers each test decides."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple] = {path: ("ok", body) for path, body in GOOD.items()}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def do_GET(self):  # noqa: N802
                server.requests.append(self.path)
                route = server.routes.get(self.path, ("status", 404))
                kind = route[0]
                if kind == "ok":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(route[1])))
                    self.end_headers()
                    self.wfile.write(route[1])
                elif kind == "status":
                    self.send_error(route[1])
                elif kind == "truncate":  # declares more than it sends, then closes
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(route[1]) * 2))
                    self.end_headers()
                    self.wfile.write(route[1])
                    self.close_connection = True
                elif kind == "drop":  # headers and half a body, then the connection drops
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(route[1])))
                    self.end_headers()
                    self.wfile.write(route[1][: len(route[1]) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    self.close_connection = True
                elif kind == "redirect":
                    self.send_response(302)
                    self.send_header("Location", route[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def server():
    srv = FeedServer()
    try:
        yield srv
    finally:
        srv.close()


def installed_state(data_dir):
    current = current_set(data_dir)
    assert current is not None
    return current.path, {f.name: f.sha256 for f in current.files}, {
        p.name: p.read_bytes() for p in current.path.iterdir()}


@pytest.mark.timeout(30)
def test_update_installs_set_with_metadata(server, tmp_path):
    result = update_signatures(server.base, data_dir=tmp_path, http_timeout=5)
    installed = result.installed
    assert result.previous is None
    assert sorted(f.name for f in installed.files) == ["ioc.yaml", "rules.yar", "samples.csv",
                                                       "watchware.yaml"]
    for fetched in installed.files:
        assert fetched.url == server.base + fetched.name
        assert fetched.sha256 == hashlib.sha256(GOOD["/" + fetched.name]).hexdigest()
        assert fetched.size == len(GOOD["/" + fetched.name])
        assert dt.datetime.fromisoformat(fetched.fetched_at).tzinfo is not None
    meta = json.loads((installed.path / "metadata.json").read_text())
    assert meta["source"] == server.base and len(meta["files"]) == 4
    sset = load_signature_set(data_dir=tmp_path, include_bundled=False)
    assert [s.kind for s in sset.sources] == ["community"]
    assert sset.community is not None and sset.warnings == ()
    (match,) = [m for m in sset.index.match_android(_inventory("org.example.watch"))]
    assert match.family_id == "examplewatch" and match.provenance[0].file == server.base + "watchware.yaml"
    assert match.provenance[0].version.startswith("downloaded ")
    assert sset.yara_files == (str(installed.path / "rules.yar"),)


def _inventory(package):
    from signature_test_helpers import android

    from stalkerscan.model.android import AndroidApp

    return android(AndroidApp(package=package))


@pytest.mark.timeout(30)
@pytest.mark.parametrize("failure", [
    ("/samples.csv", ("status", 500)),
    ("/samples.csv", ("drop", SAMPLES * 50)),
    ("/ioc.yaml", ("truncate", IOC)),
    ("/ioc.yaml", ("ok", b"<html><body>Rate limited</body></html>\n")),
    ("/watchware.yaml", ("ok", b"- name: [broken\n")),
    ("/rules.yar", ("ok", b"rule broken { condition: nope }\n")),
    ("/rules.yar", ("redirect", "file:///etc/passwd")),
    ("/watchware.yaml", ("status", 404)),
], ids=["http-500", "connection-dropped", "truncated", "html-instead-of-yaml", "malformed-yaml",
        "yara-does-not-compile", "redirect-to-file-url", "missing-file"])
def test_failed_update_keeps_previous_set(server, tmp_path, failure):
    update_signatures(server.base, data_dir=tmp_path, http_timeout=5)
    before = installed_state(tmp_path)
    path, route = failure
    server.routes[path] = route
    with pytest.raises(SignatureUpdateError) as info:
        update_signatures(server.base, data_dir=tmp_path, http_timeout=5)
    assert path.lstrip("/") in str(info.value)
    assert installed_state(tmp_path) == before
    assert not list((tmp_path / "community").glob(".staging-*"))
    # and the scan still loads the previous set
    sset = load_signature_set(data_dir=tmp_path, include_bundled=False)
    assert {f.id for f in sset.families} == {"examplespy", "examplewatch"}


@pytest.mark.timeout(30)
def test_second_update_replaces_and_reports_previous(server, tmp_path):
    first = update_signatures(server.base, data_dir=tmp_path, http_timeout=5).installed
    server.routes["/watchware.yaml"] = ("ok", WATCHWARE.replace(b"org.example.watch", b"org.example.watch2"))
    result = update_signatures(server.base, data_dir=tmp_path, http_timeout=5)
    assert result.previous is not None and result.previous.path == first.path
    assert current_set(tmp_path).path == result.installed.path != first.path
    sset = load_signature_set(data_dir=tmp_path, include_bundled=False)
    assert sset.index.lookup("package", "org.example.watch2")
    assert not sset.index.lookup("package", "org.example.watch")


@pytest.mark.timeout(30)
def test_single_file_url(server, tmp_path):
    result = update_signatures(server.base + "ioc.yaml", data_dir=tmp_path, http_timeout=5)
    assert [f.name for f in result.installed.files] == ["ioc.yaml"]
    assert server.requests == ["/ioc.yaml"]


def test_update_from_folder_and_file(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, body in GOOD.items():
        (mirror / name.lstrip("/")).write_bytes(body)
    (mirror / "notes.txt").write_text("not a signature file")
    data = tmp_path / "data"
    result = update_signatures(str(mirror), data_dir=data)
    assert sorted(f.name for f in result.installed.files) == ["ioc.yaml", "rules.yar", "samples.csv",
                                                              "watchware.yaml"]
    assert result.installed.source == str(mirror)
    one = update_signatures(str(mirror / "watchware.yaml"), data_dir=data)
    assert [f.name for f in one.installed.files] == ["watchware.yaml"]


def test_bad_from_values(tmp_path):
    with pytest.raises(SignatureUpdateError, match="only http"):
        sources_from("ftp://example.org/ioc.yaml")
    with pytest.raises(SignatureUpdateError, match="neither"):
        sources_from(str(tmp_path / "missing"))
    with pytest.raises(SignatureUpdateError, match="no signature file"):
        sources_from(str(tmp_path))


def test_default_sources_are_echaps_raw_files():
    assert [s.filename for s in DEFAULT_SOURCES] == ["ioc.yaml", "watchware.yaml", "samples.csv", "rules.yar"]
    assert all(s.url.startswith("https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/")
               for s in DEFAULT_SOURCES)


def test_stale_and_missing_community_set_warn(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "ioc.yaml").write_bytes(IOC)
    assert any("No community signatures" in w for w in load_signature_set(data_dir=tmp_path).warnings)
    installed = update_signatures(str(mirror), data_dir=tmp_path).installed
    fetched = dt.datetime.fromisoformat(installed.fetched_at)
    fresh = load_signature_set(data_dir=tmp_path, now=fetched + dt.timedelta(days=29))
    assert fresh.warnings == ()
    stale = load_signature_set(data_dir=tmp_path, now=fetched + dt.timedelta(days=31))
    (warning,) = stale.warnings
    assert "31 days ago" in warning and "signatures update" in warning
    assert [s.kind for s in stale.sources] == ["bundled", "community"]
    assert stale.sources[1].fetched_at == installed.fetched_at
