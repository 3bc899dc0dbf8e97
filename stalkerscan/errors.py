"""Typed errors for every stage, each carrying a plain sentence the user can act on.

Every error a user can see derives from :class:`StalkerscanError`. ``message`` says what
happened; ``advice`` says what to do about it, in words a clinic volunteer can follow. The
command line prints both and exits with ``exit_code``.
"""

from __future__ import annotations

# Documented exit codes (docs/cli.md). Kept here so library and CLI agree.
EXIT_NOTHING_FOUND = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_DEVICE = 3
EXIT_INCOMPLETE = 4


class StalkerscanError(Exception):
    """Base class: an error with a user-facing message and advice."""

    exit_code: int = EXIT_USAGE

    def __init__(self, message: str, advice: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice

    def __str__(self) -> str:
        return self.message if not self.advice else f"{self.message}\n{self.advice}"


class UsageError(StalkerscanError):
    """The command was given something it cannot use (a bad option, variable or path)."""

    exit_code = EXIT_USAGE


# --------------------------------------------------------------------------- devices
class DeviceError(StalkerscanError):
    """Anything that went wrong talking to a phone."""

    exit_code = EXIT_DEVICE


class NoDeviceError(DeviceError):
    """No phone is connected, or the requested one is not there."""


class MultipleDevicesError(DeviceError):
    """Several phones are connected and none was chosen."""


class DeviceUnauthorizedError(DeviceError):
    """The phone has not (yet) allowed this computer (Android) or trusted it (iPhone)."""


class DeviceOfflineError(DeviceError):
    """The phone is connected but not answering."""


class DeviceLockedError(DeviceError):
    """The phone is locked with a passcode and refuses the request until unlocked."""


class PairingDeniedError(DeviceError):
    """The person tapped "Don't Trust" on the iPhone."""


class DeviceDisconnectedError(DeviceError):
    """The connection dropped in the middle of a request (cable pulled, phone rebooted)."""


class DeviceTimeoutError(DeviceError):
    """The phone did not answer within the time limit."""


class ProtocolError(DeviceError):
    """The phone or the adb server answered something we could not understand."""


class FileRefusedError(DeviceError):
    """The phone refused to send one file (or it was over the size limit); the scan goes on."""


class AdbMissingError(DeviceError):
    """The adb program is not installed on this computer."""


class AdbServerError(DeviceError):
    """The adb server could not be reached or started."""


class RequestRefusedError(DeviceError):
    """A request was refused by the read-only allowlist before it reached the phone.

    This is a programming error in stalkerscan, never the user's: it means some code tried
    to send something that is not on the list of read-only requests.
    """


class UnsafeDeviceStringError(DeviceError):
    """A string from the phone (package name, path) failed validation and was not used."""


# --------------------------------------------------------------------------- case folders
class CaseError(StalkerscanError):
    """A case folder cannot be created, read or written."""


class CaseExistsError(CaseError):
    """The output folder already exists and is not empty: it is never overwritten."""


class CaseNotFoundError(CaseError):
    """The folder given is not a stalkerscan case folder."""


class CaseWriteError(CaseError):
    """Writing evidence to disk failed (disk full, read-only, permissions)."""


# --------------------------------------------------------------------------- signatures
class SignatureError(StalkerscanError):
    """A signature file is broken. ``location`` names file and line when known."""

    def __init__(self, message: str, advice: str | None = None, location: str | None = None):
        super().__init__(f"{location}: {message}" if location else message, advice)
        self.location = location


class SignatureUpdateError(SignatureError):
    """Downloading or installing a signature update failed; the previous set is kept."""


# --------------------------------------------------------------------------- input files
class InputFileError(StalkerscanError):
    """A file given to stalkerscan (backup, APK, profile) cannot be used."""


class ProfileError(InputFileError):
    """A simulated-phone profile is invalid. The message names file, key and problem."""
