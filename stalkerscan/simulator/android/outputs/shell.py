"""Small toybox / mksh commands: ``date``, ``id``, ``echo``, ``ls``, ``cat``, ``stat``,
``which``, ``uname``, ``whoami``, ``sha256sum`` and friends, and the shell's own errors."""

from __future__ import annotations

import datetime as _dt
import hashlib
import stat as statmod
import time
import zlib
from zoneinfo import ZoneInfo

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.files import PhoneFiles
from stalkerscan.simulator.android.outputs.common import Context, encode, fail, ok

SHELL_ID = ("uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),"
            "1011(adb),1015(sdcard_rw),1028(sdcard_r),1078(ext_data_rw),1079(ext_obb_rw),"
            "3001(net_bt_admin),3002(net_bt),3003(inet),3006(net_bw_stats),3009(readproc),"
            "3011(uhid),3012(readtracefs) context=u:r:shell:s0")

_PATH_DIRS = ("/system/bin", "/system/xbin", "/product/bin", "/apex/com.android.runtime/bin",
              "/vendor/bin", "/sbin", "/su/bin")


def not_found(command: str) -> ShellResult:
    """What mksh prints for a command it cannot find."""
    return fail(f"/system/bin/sh: {command}: inaccessible or not found\n", 127)


def phone_now(ctx: Context) -> float:
    """The phone's clock: the host's plus the profile's offset."""
    return time.time() + ctx.profile.clock_offset_s


def date(ctx: Context, args: list[str]) -> ShellResult:
    """``date [+FORMAT]`` (toybox)."""
    now = phone_now(ctx)
    zone = ZoneInfo(ctx.profile.timezone)
    moment = _dt.datetime.fromtimestamp(now, zone)
    formats = [a for a in args if a.startswith("+")]
    if formats:
        fmt = formats[0][1:]
        if fmt == "%s":
            return ok(f"{int(now)}\n")
        return ok(moment.strftime(fmt.replace("%s", str(int(now)))) + "\n")
    if [a for a in args if not a.startswith("-")]:
        return fail("date: bad date\n", 1)
    return ok(moment.strftime("%a %b %d %H:%M:%S %Z %Y") + "\n")


def echo(ctx: Context, args: list[str]) -> ShellResult:
    """``echo [-n] ARGS``."""
    newline = "\n"
    if args[:1] == ["-n"]:
        args = args[1:]
        newline = ""
    return ok(" ".join(args) + newline)


def uname(ctx: Context, args: list[str]) -> ShellResult:
    """``uname [-a|-r|-m|-s|-n]``."""
    release = "5.10.198-android13-4-00050-g12f3388846c3-ab11920634"
    parts = {"-s": "Linux", "-n": "localhost", "-r": release,
             "-v": "#1 SMP PREEMPT Mon Jan  1 00:00:00 UTC 2024", "-m": "aarch64"}
    if not args:
        return ok("Linux\n")
    if "-a" in args:
        return ok(" ".join(parts.values()) + " Toybox\n")
    return ok(" ".join(parts[a] for a in args if a in parts) + "\n")


def ls(ctx: Context, fs: PhoneFiles, args: list[str]) -> ShellResult:
    """``ls [-d] [-l] [-a] PATH...`` as toybox prints it to a pipe (one name per line)."""
    flags = {a for a in args if a.startswith("-") and len(a) > 1}
    letters = set("".join(f[1:] for f in flags))
    paths = [a for a in args if not (a.startswith("-") and len(a) > 1)] or ["."]
    directory_itself = "d" in letters
    long = "l" in letters
    out: list[str] = []
    err: list[str] = []
    listed: list[tuple[str, list[str]]] = []
    files: list[str] = []
    for path in paths:
        if path == ".":
            path = "/"
        access = fs.access(path)
        if access == "missing":
            err.append(f"ls: {path}: No such file or directory\n")
            continue
        if access == "denied":
            err.append(f"ls: {path}: Permission denied\n")
            continue
        if fs.is_dir(path) and not directory_itself:
            if not fs.can_list(path):
                err.append(f"ls: {path}: Permission denied\n")
                continue
            listed.append((path, fs.listdir(path)))
        else:
            files.append(path)
    for path in sorted(files):
        out.append(_long_line(fs, path, path) if long else path)
    for index, (path, names) in enumerate(sorted(listed)):
        if len(paths) > 1:
            if files or index:
                out.append("")
            out.append(f"{path}:")
        for name in names:
            full = path.rstrip("/") + "/" + name
            out.append(_long_line(fs, full, name) if long else name)
    stdout = "".join(f"{line}\n" for line in out)
    return ShellResult(encode(stdout), encode("".join(err)), 1 if err else 0)


def _long_line(fs: PhoneFiles, path: str, shown: str) -> str:
    info = fs.stat(path)
    if info is None:
        return shown
    when = _dt.datetime.fromtimestamp(info.mtime, _dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
    owner = "root root" if not path.startswith("/storage") else "u0_a152 media_rw"
    return f"{statmod.filemode(info.mode)} 1 {owner} {info.size:>8} {when} {shown}"


def cat(ctx: Context, fs: PhoneFiles, args: list[str]) -> ShellResult:
    """``cat FILE...``."""
    chunks: list[bytes] = []
    err: list[str] = []
    for path in args:
        access = fs.access(path)
        data = fs.read(path) if access == "ok" else None
        if access == "denied":
            err.append(f"cat: {path}: Permission denied\n")
        elif data is None and fs.is_dir(path):
            err.append(f"cat: {path}: Is a directory\n")
        elif data is None:
            err.append(f"cat: {path}: No such file or directory\n")
        else:
            chunks.append(data)
    return ShellResult(b"".join(chunks), encode("".join(err)), 1 if err else 0)


def checksum(ctx: Context, fs: PhoneFiles, command: str, args: list[str]) -> ShellResult:
    """``sha256sum`` / ``sha1sum`` / ``md5sum`` FILE..."""
    algorithm = {"sha256sum": "sha256", "sha1sum": "sha1", "md5sum": "md5"}[command]
    out: list[str] = []
    err: list[str] = []
    for path in args:
        data = fs.read(path)
        if data is None:
            reason = "Permission denied" if fs.access(path) == "denied" else \
                "No such file or directory"
            err.append(f"{command}: {path}: {reason}\n")
            continue
        out.append(f"{hashlib.new(algorithm, data).hexdigest()}  {path}\n")
    return ShellResult(encode("".join(out)), encode("".join(err)), 1 if err else 0)


def stat_command(ctx: Context, fs: PhoneFiles, args: list[str]) -> ShellResult:
    """``stat FILE...`` (toybox's default format)."""
    out: list[str] = []
    err: list[str] = []
    for path in [a for a in args if not a.startswith("-")]:
        info = fs.stat(path)
        if info is None:
            reason = "Permission denied" if fs.access(path) == "denied" else \
                "No such file or directory"
            err.append(f"stat: '{path}': {reason}\n")
            continue
        kind = "directory" if statmod.S_ISDIR(info.mode) else "regular file"
        when = _dt.datetime.fromtimestamp(info.mtime, _dt.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S.000000000 +0000")
        out.append(f"  File: {path}\n"
                   f"  Size: {info.size}\t Blocks: {(info.size + 511) // 512}\t "
                   f"IO Blocks: 4096\t{kind}\n"
                   f"Device: fd00h/64768d\t Inode: {zlib.crc32(path.encode('utf-8', 'surrogateescape')) % 900000 + 1000}\t "
                   f"Links: 1\t Device type: 0,0\n"
                   f"Access: ({info.mode & 0o7777:04o}/{statmod.filemode(info.mode)})\t"
                   f"Uid: (    0/    root)\tGid: (    0/    root)\n"
                   f"Access: {when}\nModify: {when}\nChange: {when}\n")
    return ShellResult(encode("".join(out)), encode("".join(err)), 1 if err else 0)


def which(ctx: Context, fs: PhoneFiles, args: list[str]) -> ShellResult:
    """``which NAME...`` / ``command -v NAME``: the first match along $PATH."""
    out: list[str] = []
    missing = False
    for name in [a for a in args if not a.startswith("-")]:
        found = None
        if "/" in name:
            found = name if fs.access(name) == "ok" else None
        else:
            for directory in _PATH_DIRS:
                candidate = f"{directory}/{name}"
                if fs.access(candidate) == "ok" and not fs.is_dir(candidate):
                    found = candidate
                    break
        if found is None:
            missing = True
        else:
            out.append(found)
    return ShellResult(encode("".join(f"{p}\n" for p in out)), b"", 1 if missing else 0)
