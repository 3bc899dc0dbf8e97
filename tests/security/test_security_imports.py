"""Where stalkerscan's source may touch processes, sockets, the network, device libraries,
or code-running deserialisers: an allowlist checked over every module, so a new use anywhere
else fails here and gets a review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("stalkerscan", "cli")

# module (top-level name, or a dotted prefix) -> files or folders allowed to import it
ALLOWED_IMPORTS: dict[str, tuple[str, ...]] = {
    # the one wrapper around pure-python-adb; nothing else may open an adb connection
    "ppadb": ("stalkerscan/acquire/android/adb_client.py",),
    # starting the adb server; the simulator's adbd / real adb server processes (tests, simulate)
    "subprocess": ("stalkerscan/acquire/android/server.py", "stalkerscan/simulator/android/run.py"),
    # socket.gethostname() in the case folder; TCP_NODELAY on the adb client's own loopback
    # connection to the adb server; servers in the simulators
    "socket": ("stalkerscan/preserve/case.py", "stalkerscan/acquire/android/adb_client.py",
               "stalkerscan/simulator/"),
    # the signature update, and nothing else, goes online
    "urllib.request": ("stalkerscan/signatures/update.py",),
    "urllib.error": ("stalkerscan/signatures/update.py",),
    "http": (),
    "ftplib": (), "smtplib": (), "telnetlib": (), "xmlrpc": (), "requests": (), "httpx": (),
    "aiohttp": (), "urllib3": (), "websocket": (), "websockets": (),
    # iPhones: lockdown TLS over usbmuxd, and the simulated iPhone
    "pymobiledevice3": ("stalkerscan/acquire/ios/", "stalkerscan/simulator/ios/"),
    "ssl": ("stalkerscan/acquire/ios/", "stalkerscan/simulator/ios/"),
    "asyncio": ("stalkerscan/acquire/ios/", "stalkerscan/simulator/"),
    # deserialisers that run code
    "pickle": (), "marshal": (), "shelve": (), "dill": (), "cloudpickle": (), "joblib": (),
    # running other programs
    "pty": (), "multiprocessing": (), "ctypes": (),
}

# Calls that run code or a shell, or unsafe YAML; allowed nowhere.
FORBIDDEN_CALLS = {
    ("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp"), ("os", "execl"),
    ("os", "spawnl"), ("os", "spawnv"), ("os", "startfile"),
    ("yaml", "load"), ("yaml", "unsafe_load"), ("yaml", "full_load"), ("yaml", "load_all"),
    ("yaml", "unsafe_load_all"),
}
FORBIDDEN_NAMES = {"eval", "exec", "__import__"}
# A dynamic import is fine only where its module name comes from our own code, not from data.
ALLOWED_IMPORT_MODULE = ("cli/main.py", "stalkerscan/simulator/android/adbd.py")


def sources() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            found.append((rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)))
    return found


SOURCES = sources()


def imported_modules(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


IMPORTS = {rel: imported_modules(tree) for rel, tree in SOURCES}


def _allowed(rel: str, places: tuple[str, ...]) -> bool:
    return any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in places)


def test_the_source_tree_was_found():
    files = {rel for rel, _ in SOURCES}
    assert "stalkerscan/acquire/android/channel.py" in files and "cli/main.py" in files
    assert len(files) > 100


@pytest.mark.parametrize("guarded", sorted(ALLOWED_IMPORTS))
def test_sensitive_modules_are_imported_only_where_expected(guarded):
    offenders = []
    for rel, names in IMPORTS.items():
        for name in names:
            if (name == guarded or name.startswith(guarded + ".")) and not _allowed(rel, ALLOWED_IMPORTS[guarded]):
                offenders.append(f"{rel} imports {name}")
    assert offenders == []


def test_no_code_running_calls_anywhere():
    offenders = []
    for rel, tree in SOURCES:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in FORBIDDEN_NAMES:
                offenders.append(f"{rel}:{node.lineno} {func.id}()")
            elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                if (func.value.id, func.attr) in FORBIDDEN_CALLS:
                    offenders.append(f"{rel}:{node.lineno} {func.value.id}.{func.attr}()")
                if func.attr == "import_module" and not _allowed(rel, ALLOWED_IMPORT_MODULE):
                    offenders.append(f"{rel}:{node.lineno} import_module()")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (isinstance(keyword.value, ast.Constant)
                                                   and keyword.value.value is False):
                    offenders.append(f"{rel}:{node.lineno} shell=...")
    assert offenders == []


# Outside the simulators, the socket module is used for these names only (no new connection).
SOCKET_NAMES = {
    "stalkerscan/preserve/case.py": {"gethostname"},
    "stalkerscan/acquire/android/adb_client.py": {"IPPROTO_TCP", "TCP_NODELAY"},
}


@pytest.mark.parametrize("rel", sorted(SOCKET_NAMES))
def test_socket_outside_the_simulators_opens_nothing(rel):
    tree = dict(SOURCES)[rel]
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "socket"}
    assert used <= SOCKET_NAMES[rel]


def test_only_the_choke_point_talks_to_the_adb_client():
    # AdbClient.shell / .pull are called from channel.py alone; AdbClient is built only where
    # the adb server is found.
    offenders = []
    for rel, tree in SOURCES:
        if rel.startswith("stalkerscan/simulator/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                if (node.func.attr in ("shell", "pull") and isinstance(owner, ast.Attribute)
                        and owner.attr == "client" and rel != "stalkerscan/acquire/android/channel.py"):
                    offenders.append(f"{rel}:{node.lineno} .client.{node.func.attr}()")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "AdbClient"
                    and rel != "stalkerscan/acquire/android/server.py"):
                offenders.append(f"{rel}:{node.lineno} AdbClient()")
    assert offenders == []


def test_the_channel_sends_only_through_its_templates():
    # Every shell request leaves through AndroidChannel.run, which checks is_allowed first.
    tree = dict(SOURCES)["stalkerscan/acquire/android/channel.py"]
    run = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "run")
    first = run.body[1] if isinstance(run.body[0], ast.Expr) else run.body[0]
    assert isinstance(first, ast.If) and "is_allowed" in ast.unparse(first.test)
    assert isinstance(first.body[0], ast.Raise)


def test_pure_python_adb_is_used_only_for_its_connection():
    # ppadb's Client and Device can install, uninstall, push and run any shell command; the
    # wrapper uses nothing of them but the connection to the adb server.
    tree = dict(SOURCES)["stalkerscan/acquire/android/adb_client.py"]
    used = {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_client"}
    assert used == {"create_connection"}
    sync_tags = {node.value for node in ast.walk(tree)
                 if isinstance(node, ast.Constant) and isinstance(node.value, bytes)
                 and node.value in (b"SEND", b"RECV", b"STAT", b"LIST", b"DENT", b"QUIT")}
    assert b"SEND" not in sync_tags and b"RECV" in sync_tags  # files are only ever read
