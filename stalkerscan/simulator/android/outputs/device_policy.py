"""``dumpsys device_policy``: owners and active device admins with their policies.

Follows ``DevicePolicyManagerService.dump`` / ``Owners.dump`` / ``ActiveAdmin.dump``:

* ``Device Owner: `` (with AOSP's trailing space) then ``admin=ComponentInfo{...}``,
  ``name=``, ``package=``, then ``canAccessDeviceIds=`` (Android 10) or
  ``isOrganizationOwnedDevice=`` (11+), then ``User ID: N``.
* ``Profile Owner (User N): `` blocks in the same shape, without the user line.
* Per user: ``Enabled Device Admins (User N, provisioningState: S):`` then each admin as
  ``pkg/.Receiver:`` with ``uid=``, ``testOnlyAdmin=``, ``policies:`` (one tag per line) and
  the password / restriction fields.
* Android 14 and later start with an ``Immutable state:`` block.
"""

from __future__ import annotations

from stalkerscan.simulator.android.base import ShellResult
from stalkerscan.simulator.android.outputs.common import Context, encode
from stalkerscan.simulator.android.profile import AppSpec, DeviceAdminSpec, OwnerSpec


def _owner_lines(ctx: Context, owner: OwnerSpec, title: str, prefix: str,
                 device_owner: bool) -> list[str]:
    lines = [f"{prefix}{title}: ",
             f"{prefix}  admin={owner.component.to_string()}",
             f"{prefix}  name={owner.name}",
             f"{prefix}  package={owner.component.package}"]
    if ctx.sdk == 29:
        lines.append(f"{prefix}  canAccessDeviceIds={'true' if device_owner else 'false'}")
    elif ctx.sdk >= 30:
        lines.append(f"{prefix}  isOrganizationOwnedDevice={'true' if device_owner else 'false'}")
    if device_owner:
        lines.append(f"{prefix}  User ID: {owner.user_id}")
    return lines


def _admin_lines(ctx: Context, app: AppSpec, admin: DeviceAdminSpec, user: int) -> list[str]:
    p = "      "
    lines = [f"    {admin.component.flatten_short()}:",
             f"{p}uid={user * 100000 + app.uid}",
             f"{p}testOnlyAdmin=false",
             f"{p}policies:"]
    lines += [f"{p}  {policy}" for policy in admin.policies]
    lines += [
        f"{p}passwordQuality=0x0",
        f"{p}minimumPasswordLength=0",
        f"{p}passwordHistoryLength=0",
        f"{p}minimumPasswordUpperCase=0",
        f"{p}minimumPasswordLowerCase=0",
        f"{p}minimumPasswordLetters=1",
        f"{p}minimumPasswordNumeric=1",
        f"{p}minimumPasswordSymbols=1",
        f"{p}minimumPasswordNonLetter=0",
        f"{p}maximumTimeToUnlock=0",
        f"{p}strongAuthUnlockTimeout=0",
        f"{p}maximumFailedPasswordsForWipe=0",
        f"{p}specifiesGlobalProxy=false",
        f"{p}passwordExpirationTimeout=0",
        f"{p}passwordExpirationDate=0",
        f"{p}encryptionRequested=false",
        f"{p}disableCamera=false",
        f"{p}disableCallerId=false",
        f"{p}disableContactsSearch=false",
        f"{p}disableBluetoothContactSharing=true",
        f"{p}disableScreenCapture=false",
        f"{p}requireAutoTime=false",
        f"{p}forceEphemeralUsers=false",
        f"{p}isNetworkLoggingEnabled=false",
        f"{p}disabledKeyguardFeatures=0",
        f"{p}crossProfileWidgetProviders=null",
    ]
    if ctx.sdk >= 28:
        lines += [f"{p}mandatoryBackupTransport=null", f"{p}startUserSessionMessage=",
                  f"{p}endUserSessionMessage="]
    if ctx.sdk >= 30:
        lines += [f"{p}mCrossProfileCalendarPackages=[]",
                  f"{p}mCrossProfilePackages=[]",
                  f"{p}mSuspendPersonalApps=false",
                  f"{p}mProfileMaximumTimeOffMillis=0"]
    if ctx.sdk >= 31:
        lines += [f"{p}mNearbyNotificationStreamingPolicy=3",
                  f"{p}mNearbyAppStreamingPolicy=3"]
    return lines


def render(ctx: Context) -> bytes:
    """The whole ``dumpsys device_policy`` output."""
    profile = ctx.profile
    sdk = ctx.sdk
    out = ["Current Device Policy Manager state:"]
    if sdk >= 34:
        out += ["  Immutable state:", "    mHasFeature=true", "    mIsWatch=false",
                "    mIsAutomotive=false", "    mHasTelephonyFeature=true",
                "    mSafetyChecker=null"]
    need_blank = False
    if profile.device_owner is not None:
        out += _owner_lines(ctx, profile.device_owner, "Device Owner", "  ", True)
        need_blank = True
    for owner in profile.profile_owners:
        if need_blank:
            out.append("")
        out += _owner_lines(ctx, owner, f"Profile Owner (User {owner.user_id})", "  ", False)
        need_blank = True
    owned_users = {o.user_id for o in profile.profile_owners}
    if profile.device_owner is not None:
        owned_users.add(profile.device_owner.user_id)
    for user in profile.users:
        if not user.shell_access:
            continue
        state = 3 if user.id in owned_users else 0
        out.append("")
        out.append(f"  Enabled Device Admins (User {user.id}, provisioningState: {state}):")
        for app in profile.apps:
            for admin in app.device_admins:
                if admin.active and user.id in admin.users and user.id in app.users:
                    out += _admin_lines(ctx, app, admin, user.id)
        out.append(" ")
        out += ["    mPasswordOwner=-1", "    mPasswordTokenHandle=0",
                "    mUserControlDisabledPackages=[]" if sdk >= 30 else "    mAppsSuspended=false",
                f"    mUserSetupComplete={'true'}"]
    out += ["", "  Constants:", "    DAS_DIED_SERVICE_RECONNECT_BACKOFF_SEC: 3600",
            "    DAS_DIED_SERVICE_RECONNECT_BACKOFF_INCREASE: 2.0",
            "    DAS_DIED_SERVICE_RECONNECT_MAX_BACKOFF_SEC: 86400",
            "    DAS_DIED_SERVICE_STABLE_CONNECTION_THRESHOLD_SEC: 120",
            "", "  Encryption Status: per-user", ""]
    return encode("\n".join(out))


def dumpsys_device_policy(ctx: Context, args: list[str]) -> ShellResult:
    """``dumpsys device_policy``."""
    return ShellResult(render(ctx))
