"""dumpsys device_policy: admins with uid and policies, device owner, profile owners."""

from __future__ import annotations

from stalkerscan.model.android import DeviceAdmin, ManagementOwner
from stalkerscan.parse.android.device_policy import parse_dumpsys_device_policy

# Android 13-15 (IndentingPrintWriter, two spaces per level).
ANDROID_14 = b"""Current Device Policy Manager state:
  Immutable state:
    mHasFeature=true
    mIsWatch=false
  Device Owner:\x20
    admin=ComponentInfo{org.example.mdm/org.example.mdm.AdminReceiver}
    name=Example MDM
    package=org.example.mdm
    isOrganizationOwnedDevice=true
    User ID: 0

  Profile Owner (User 10):\x20
    admin=ComponentInfo{org.example.work/org.example.work.ProfileAdmin}
    name=
    package=org.example.work
    isOrganizationOwnedDevice=false

  Enabled Device Admins (User 0, provisioningState: 3):
    org.example.mdm/.AdminReceiver:
      uid=10150
      testOnlyAdmin=false
      policies:
        limit-password
        watch-login
        reset-password
        force-lock
        wipe-data
      passwordQuality=0x0
      minimumPasswordLength=0
      parentAdmin:
        uid=10150
        policies:
          expire-password
    org.example.spy/.LockAdmin:
      uid=10234
      testOnlyAdmin=false
      policies:
        force-lock
      passwordQuality=0x0

    mPasswordOwner=-1
    mPasswordTokenHandle=0
  Enabled Device Admins (User 10, provisioningState: 3):
    org.example.work/.ProfileAdmin:
      uid=1010160
      testOnlyAdmin=false
      policies:
        wipe-data

  Constants:
    DAS_DIED_SERVICE_RECONNECT_BACKOFF_SEC: 3600
"""

# Android 7-8 (hand-made prefixes, no provisioning state in the header).
ANDROID_7 = b"""Current Device Policy Manager state:
  Enabled Device Admins (User 0):
    org.example.old/org.example.old.Admin:
      uid=10090
      policies:
        wipe-data
        disable-camera
      passwordQuality=0x0
"""


def test_android_14_admins_and_owners():
    result = parse_dumpsys_device_policy(ANDROID_14)
    assert result.recognized and result.problems == ()
    assert result.admins == (
        DeviceAdmin("org.example.mdm/.AdminReceiver", "org.example.mdm", 10150,
                    ("limit-password", "watch-login", "reset-password", "force-lock", "wipe-data"), 0),
        DeviceAdmin("org.example.spy/.LockAdmin", "org.example.spy", 10234, ("force-lock",), 0),
        DeviceAdmin("org.example.work/.ProfileAdmin", "org.example.work", 1010160, ("wipe-data",), 10),
    )
    assert result.owners == (
        ManagementOwner("device_owner", "org.example.mdm/org.example.mdm.AdminReceiver",
                        "org.example.mdm", "Example MDM", 0),
        ManagementOwner("profile_owner", "org.example.work/org.example.work.ProfileAdmin",
                        "org.example.work", None, 10),
    )
    assert result.admin_lines == (19, 34, 44) and result.owner_lines == (5, 12)


def test_android_7_layout():
    (admin,) = parse_dumpsys_device_policy(ANDROID_7).admins
    assert admin.component == "org.example.old/org.example.old.Admin"
    assert admin.uid == 10090 and admin.policies == ("wipe-data", "disable-camera")


def test_policies_wrapped_on_one_line():
    data = (b"Current Device Policy Manager state:\n"
            b"  Enabled Device Admins (User 0, provisioningState: 3):\n"
            b"    org.example.k/.Kiosk:\n"
            b"      policies: wipe-data, reset-password, limit-password, watch-login,\n"
            b"                force-lock, expire-password\n"
            b"      passwordQuality=0x0\n")
    (admin,) = parse_dumpsys_device_policy(data).admins
    assert admin.policies == ("wipe-data", "reset-password", "limit-password", "watch-login",
                              "force-lock", "expire-password")


def test_no_admins():
    result = parse_dumpsys_device_policy(
        b"Current Device Policy Manager state:\n  Enabled Device Admins (User 0, provisioningState: 0):\n\n"
        b"    mPasswordOwner=-1\n")
    assert result.recognized and result.admins == () and result.owners == ()


def test_crlf_and_cut():
    data = ANDROID_14.replace(b"\n", b"\r\n")
    cut = data[: data.index(b"force-lock\r\n      passwordQuality") + len(b"force-lo")]
    result = parse_dumpsys_device_policy(cut)
    assert result.owners[0].package == "org.example.mdm"
    assert result.admins[1].policies == ()  # "force-lo" was cut off, not read as a policy
    assert "cut off" in result.problems[-1].message


def test_unrelated_output():
    result = parse_dumpsys_device_policy(b"Permission Denial: can't dump DevicePolicyManager\n")
    assert not result.recognized and result.admins == ()
