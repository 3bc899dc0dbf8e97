"""Android permissions as the simulated phone needs them: which are runtime permissions, which
exist on which Android version, and what ordinary apps of each kind ask for.

``dumpsys package`` prints install-time permissions under ``install permissions:`` and
runtime ("dangerous") permissions per user under ``runtime permissions:``; the phone model
uses :func:`is_runtime` to put each requested permission in the right place.
"""

from __future__ import annotations

P = "android.permission."

# Runtime permissions (protection level "dangerous"), with the first SDK that has them.
RUNTIME_PERMISSIONS: dict[str, int] = {
    P + "READ_CALENDAR": 23, P + "WRITE_CALENDAR": 23,
    P + "CAMERA": 23,
    P + "READ_CONTACTS": 23, P + "WRITE_CONTACTS": 23, P + "GET_ACCOUNTS": 23,
    P + "ACCESS_FINE_LOCATION": 23, P + "ACCESS_COARSE_LOCATION": 23,
    P + "ACCESS_BACKGROUND_LOCATION": 29,
    P + "RECORD_AUDIO": 23,
    P + "READ_PHONE_STATE": 23, P + "READ_PHONE_NUMBERS": 26, P + "CALL_PHONE": 23,
    P + "ANSWER_PHONE_CALLS": 26, P + "ADD_VOICEMAIL": 23, P + "USE_SIP": 23,
    P + "ACCEPT_HANDOVER": 28, P + "PROCESS_OUTGOING_CALLS": 23,
    P + "READ_CALL_LOG": 23, P + "WRITE_CALL_LOG": 23,
    P + "BODY_SENSORS": 23, P + "BODY_SENSORS_BACKGROUND": 33,
    P + "ACTIVITY_RECOGNITION": 29,
    P + "SEND_SMS": 23, P + "RECEIVE_SMS": 23, P + "READ_SMS": 23,
    P + "RECEIVE_WAP_PUSH": 23, P + "RECEIVE_MMS": 23, P + "READ_CELL_BROADCASTS": 29,
    P + "READ_EXTERNAL_STORAGE": 23, P + "WRITE_EXTERNAL_STORAGE": 23,
    P + "ACCESS_MEDIA_LOCATION": 29,
    P + "READ_MEDIA_IMAGES": 33, P + "READ_MEDIA_VIDEO": 33, P + "READ_MEDIA_AUDIO": 33,
    P + "READ_MEDIA_VISUAL_USER_SELECTED": 34,
    P + "POST_NOTIFICATIONS": 33,
    P + "NEARBY_WIFI_DEVICES": 33,
    P + "BLUETOOTH_SCAN": 31, P + "BLUETOOTH_CONNECT": 31, P + "BLUETOOTH_ADVERTISE": 31,
    P + "UWB_RANGING": 31,
}

# Install-time permissions that only exist from some SDK on (the rest exist on every version).
INSTALL_PERMISSION_MIN_SDK: dict[str, int] = {
    P + "FOREGROUND_SERVICE": 28,
    P + "USE_BIOMETRIC": 28,
    P + "QUERY_ALL_PACKAGES": 30,
    P + "SCHEDULE_EXACT_ALARM": 31,
    P + "USE_EXACT_ALARM": 33,
    P + "FOREGROUND_SERVICE_LOCATION": 34,
    P + "FOREGROUND_SERVICE_MICROPHONE": 34,
    P + "FOREGROUND_SERVICE_CAMERA": 34,
    P + "FOREGROUND_SERVICE_DATA_SYNC": 34,
    P + "FOREGROUND_SERVICE_MEDIA_PLAYBACK": 34,
    P + "FOREGROUND_SERVICE_SPECIAL_USE": 34,
    P + "USE_FULL_SCREEN_INTENT": 29,
    P + "REQUEST_INSTALL_PACKAGES": 26,
}

# Permissions handed out through special settings pages (app ops), not install or runtime grants.
SPECIAL_ACCESS = frozenset({
    P + "SYSTEM_ALERT_WINDOW", P + "PACKAGE_USAGE_STATS", P + "WRITE_SETTINGS",
    P + "MANAGE_EXTERNAL_STORAGE", P + "REQUEST_INSTALL_PACKAGES",
    P + "BIND_ACCESSIBILITY_SERVICE", P + "BIND_NOTIFICATION_LISTENER_SERVICE",
    P + "BIND_DEVICE_ADMIN",
})

# What ordinary apps of each kind ask for (before version filtering).
_BASE = (P + "INTERNET", P + "ACCESS_NETWORK_STATE", P + "WAKE_LOCK",
         "com.google.android.c2dm.permission.RECEIVE", P + "POST_NOTIFICATIONS")
CATEGORY_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "messaging": _BASE + (P + "READ_CONTACTS", P + "WRITE_CONTACTS", P + "GET_ACCOUNTS",
                          P + "CAMERA", P + "RECORD_AUDIO", P + "ACCESS_FINE_LOCATION",
                          P + "ACCESS_COARSE_LOCATION", P + "READ_PHONE_STATE",
                          P + "READ_MEDIA_IMAGES", P + "READ_MEDIA_VIDEO",
                          P + "READ_EXTERNAL_STORAGE", P + "VIBRATE",
                          P + "RECEIVE_BOOT_COMPLETED", P + "FOREGROUND_SERVICE",
                          P + "USE_FULL_SCREEN_INTENT", P + "BLUETOOTH_CONNECT"),
    "social": _BASE + (P + "CAMERA", P + "RECORD_AUDIO", P + "READ_CONTACTS",
                       P + "ACCESS_COARSE_LOCATION", P + "ACCESS_FINE_LOCATION",
                       P + "READ_MEDIA_IMAGES", P + "READ_MEDIA_VIDEO",
                       P + "READ_EXTERNAL_STORAGE", P + "VIBRATE", P + "FOREGROUND_SERVICE"),
    "video_call": _BASE + (P + "CAMERA", P + "RECORD_AUDIO", P + "READ_CONTACTS",
                           P + "READ_PHONE_STATE", P + "BLUETOOTH_CONNECT",
                           P + "MODIFY_AUDIO_SETTINGS", P + "FOREGROUND_SERVICE",
                           P + "SYSTEM_ALERT_WINDOW"),
    "media": _BASE + (P + "FOREGROUND_SERVICE", P + "READ_MEDIA_AUDIO",
                      P + "READ_EXTERNAL_STORAGE", P + "BLUETOOTH_CONNECT",
                      P + "FOREGROUND_SERVICE_MEDIA_PLAYBACK"),
    "navigation": _BASE + (P + "ACCESS_FINE_LOCATION", P + "ACCESS_COARSE_LOCATION",
                           P + "FOREGROUND_SERVICE", P + "RECORD_AUDIO", P + "VIBRATE"),
    "travel": _BASE + (P + "ACCESS_COARSE_LOCATION", P + "ACCESS_FINE_LOCATION",
                       P + "CAMERA", P + "READ_CALENDAR"),
    "shopping": _BASE + (P + "CAMERA", P + "ACCESS_COARSE_LOCATION",
                         P + "ACCESS_FINE_LOCATION", P + "USE_BIOMETRIC"),
    "finance": _BASE + (P + "CAMERA", P + "USE_BIOMETRIC", P + "READ_CONTACTS",
                        P + "ACCESS_FINE_LOCATION", P + "NFC"),
    "game": _BASE + (P + "VIBRATE", P + "ACCESS_WIFI_STATE"),
    "game_location": _BASE + (P + "VIBRATE", P + "CAMERA", P + "ACCESS_FINE_LOCATION",
                              P + "ACCESS_COARSE_LOCATION", P + "ACTIVITY_RECOGNITION"),
    "productivity": _BASE + (P + "READ_CONTACTS", P + "READ_CALENDAR", P + "WRITE_CALENDAR",
                             P + "CAMERA", P + "READ_EXTERNAL_STORAGE", P + "GET_ACCOUNTS",
                             P + "USE_CREDENTIALS"),
    "files": _BASE + (P + "READ_EXTERNAL_STORAGE", P + "WRITE_EXTERNAL_STORAGE",
                      P + "READ_MEDIA_IMAGES", P + "READ_MEDIA_VIDEO", P + "READ_MEDIA_AUDIO"),
    "photo": _BASE + (P + "CAMERA", P + "READ_MEDIA_IMAGES", P + "READ_MEDIA_VIDEO",
                      P + "READ_EXTERNAL_STORAGE", P + "ACCESS_MEDIA_LOCATION"),
    "fitness": _BASE + (P + "ACTIVITY_RECOGNITION", P + "BODY_SENSORS",
                        P + "BLUETOOTH_SCAN", P + "BLUETOOTH_CONNECT"),
    "fitness_location": _BASE + (P + "ACTIVITY_RECOGNITION", P + "ACCESS_FINE_LOCATION",
                                 P + "ACCESS_COARSE_LOCATION", P + "ACCESS_BACKGROUND_LOCATION",
                                 P + "FOREGROUND_SERVICE", P + "FOREGROUND_SERVICE_LOCATION"),
    "dating": _BASE + (P + "ACCESS_FINE_LOCATION", P + "ACCESS_COARSE_LOCATION",
                       P + "CAMERA", P + "READ_MEDIA_IMAGES"),
    "browser": _BASE + (P + "CAMERA", P + "RECORD_AUDIO", P + "ACCESS_FINE_LOCATION",
                        P + "ACCESS_COARSE_LOCATION", P + "READ_EXTERNAL_STORAGE",
                        P + "WRITE_EXTERNAL_STORAGE", P + "MODIFY_AUDIO_SETTINGS",
                        P + "BLUETOOTH_CONNECT", P + "REQUEST_INSTALL_PACKAGES"),
    "education": _BASE + (P + "RECORD_AUDIO", P + "VIBRATE"),
    "reading": _BASE + (P + "READ_EXTERNAL_STORAGE",),
    "security": _BASE + (P + "CAMERA", P + "USE_BIOMETRIC"),
    "vpn": _BASE + (P + "FOREGROUND_SERVICE", P + "RECEIVE_BOOT_COMPLETED"),
    "iot": _BASE + (P + "ACCESS_FINE_LOCATION", P + "BLUETOOTH_SCAN",
                    P + "BLUETOOTH_CONNECT", P + "NEARBY_WIFI_DEVICES",
                    P + "CHANGE_WIFI_STATE", P + "ACCESS_WIFI_STATE"),
    "utility": _BASE + (P + "VIBRATE", P + "RECEIVE_BOOT_COMPLETED"),
    "assistant": _BASE + (P + "RECORD_AUDIO", P + "ACCESS_FINE_LOCATION", P + "READ_CONTACTS",
                          P + "CAMERA", P + "CALL_PHONE"),
    "dialer_store": _BASE + (P + "READ_CONTACTS", P + "WRITE_CONTACTS", P + "READ_CALL_LOG",
                             P + "READ_PHONE_STATE", P + "CALL_PHONE", P + "READ_SMS",
                             P + "SYSTEM_ALERT_WINDOW"),
    "keyboard": (P + "INTERNET", P + "VIBRATE", P + "READ_USER_DICTIONARY", P + "RECORD_AUDIO",
                 P + "READ_CONTACTS"),
    # System apps whose job needs these (the phone's own dialer, messages, camera...).
    "sms": _BASE + (P + "READ_SMS", P + "SEND_SMS", P + "RECEIVE_SMS", P + "RECEIVE_MMS",
                    P + "READ_CONTACTS", P + "READ_PHONE_STATE", P + "CAMERA",
                    P + "RECORD_AUDIO"),
    "dialer": _BASE + (P + "CALL_PHONE", P + "READ_CALL_LOG", P + "WRITE_CALL_LOG",
                       P + "READ_CONTACTS", P + "WRITE_CONTACTS", P + "READ_PHONE_STATE",
                       P + "RECORD_AUDIO", P + "ANSWER_PHONE_CALLS"),
    "contacts": _BASE + (P + "READ_CONTACTS", P + "WRITE_CONTACTS", P + "GET_ACCOUNTS",
                         P + "CALL_PHONE", P + "READ_CALL_LOG"),
    "camera": (P + "CAMERA", P + "RECORD_AUDIO", P + "ACCESS_FINE_LOCATION",
               P + "ACCESS_COARSE_LOCATION", P + "READ_MEDIA_IMAGES", P + "VIBRATE",
               P + "WRITE_EXTERNAL_STORAGE"),
    "recorder": (P + "RECORD_AUDIO", P + "READ_EXTERNAL_STORAGE", P + "WRITE_EXTERNAL_STORAGE",
                 P + "FOREGROUND_SERVICE"),
    "store": _BASE + (P + "REQUEST_INSTALL_PACKAGES", P + "INSTALL_PACKAGES",
                      P + "DELETE_PACKAGES", P + "GET_ACCOUNTS", P + "RECEIVE_BOOT_COMPLETED",
                      P + "QUERY_ALL_PACKAGES", P + "FOREGROUND_SERVICE"),
    "gms": _BASE + (P + "ACCESS_FINE_LOCATION", P + "ACCESS_COARSE_LOCATION",
                    P + "ACCESS_BACKGROUND_LOCATION", P + "READ_CONTACTS", P + "GET_ACCOUNTS",
                    P + "READ_PHONE_STATE", P + "CAMERA", P + "RECORD_AUDIO",
                    P + "BLUETOOTH_SCAN", P + "BLUETOOTH_CONNECT", P + "ACTIVITY_RECOGNITION",
                    P + "RECEIVE_BOOT_COMPLETED", P + "FOREGROUND_SERVICE",
                    P + "QUERY_ALL_PACKAGES", P + "WRITE_SECURE_SETTINGS"),
    "system": (P + "RECEIVE_BOOT_COMPLETED", P + "WAKE_LOCK", P + "INTERACT_ACROSS_USERS",
               P + "WRITE_SECURE_SETTINGS", P + "FOREGROUND_SERVICE"),
}


def qualify(permission: str) -> str:
    """``READ_SMS`` -> ``android.permission.READ_SMS``; names with a dot are left alone."""
    return permission if "." in permission else P + permission


def is_runtime(permission: str) -> bool:
    """True for runtime ("dangerous") permissions, granted per user."""
    return permission in RUNTIME_PERMISSIONS


def exists_on(permission: str, sdk: int) -> bool:
    """Whether ``permission`` exists on Android with API level ``sdk`` (unknown ones do)."""
    if permission in RUNTIME_PERMISSIONS:
        return sdk >= RUNTIME_PERMISSIONS[permission]
    return sdk >= INSTALL_PERMISSION_MIN_SDK.get(permission, 0)


def for_category(category: str, sdk: int) -> tuple[str, ...]:
    """What an ordinary app of this kind requests on this Android version."""
    wanted = CATEGORY_PERMISSIONS.get(category, CATEGORY_PERMISSIONS["utility"])
    out: list[str] = []
    for permission in wanted:
        if exists_on(permission, sdk) and permission not in out:
            out.append(permission)
    # Before Android 13, media access was the storage permission.
    if (sdk < 33 and any(p.startswith(P + "READ_MEDIA_") for p in wanted)
            and P + "READ_EXTERNAL_STORAGE" not in out):
        out.append(P + "READ_EXTERNAL_STORAGE")
    return tuple(out)
