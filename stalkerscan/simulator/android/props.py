"""Realistic defaults for a simulated phone's system properties and settings.

Real phones print several hundred properties and a few hundred settings; the simulated one
prints a representative set with the same names and shapes, so parsers meet what they meet on
a real phone (including keys they do not care about).
"""

from __future__ import annotations

from collections.abc import Mapping


def default_properties(*, sdk: int, release: str, vendor: str, model: str, manufacturer: str,
                       brand: str, product: str, device: str, security_patch: str,
                       build_id: str, build_type: str, build_tags: str, fingerprint: str,
                       incremental: str, verified_boot: str, bootloader_locked: bool,
                       serial: str, timezone: str, locale: str, hardware: str) -> dict[str, str]:
    """The ``getprop`` properties of a phone with these facts."""
    samsung = vendor == "samsung"
    debuggable = "1" if build_type in ("userdebug", "eng") else "0"
    date_utc = 1700000000 + (sdk * 86400 * 30)
    props: dict[str, str] = {
        "dalvik.vm.appimageformat": "lz4",
        "dalvik.vm.dex2oat-Xms": "64m",
        "dalvik.vm.dex2oat-Xmx": "512m",
        "dalvik.vm.dex2oat-max-image-block-size": "524288",
        "dalvik.vm.dex2oat-minidebuginfo": "true",
        "dalvik.vm.dex2oat-resolve-startup-strings": "true",
        "dalvik.vm.dexopt.secondary": "true",
        "dalvik.vm.heapgrowthlimit": "256m",
        "dalvik.vm.heapmaxfree": "16m",
        "dalvik.vm.heapminfree": "2m",
        "dalvik.vm.heapsize": "512m",
        "dalvik.vm.heapstartsize": "8m",
        "dalvik.vm.heaptargetutilization": "0.5",
        "dalvik.vm.isa.arm.variant": "cortex-a76",
        "dalvik.vm.isa.arm64.variant": "cortex-a76",
        "dalvik.vm.usejit": "true",
        "debug.sf.latch_unsignaled": "1",
        "gsm.current.phone-type": "1",
        "gsm.network.type": "LTE",
        "gsm.operator.alpha": "",
        "gsm.operator.iso-country": "fr",
        "gsm.sim.state": "LOADED",
        "gsm.version.baseband": "g5300i-230829-231025-B-10969155" if not samsung
        else "S911BXXU3CWK1",
        "gsm.version.ril-impl": "Samsung RIL v5.0" if samsung else "android exynos ril 1.0",
        "init.svc.adbd": "running",
        "init.svc.vold": "running",
        "init.svc.zygote": "running",
        "net.bt.name": "Android",
        "persist.sys.dalvik.vm.lib.2": "libart.so",
        "persist.sys.locale": locale,
        "persist.sys.timezone": timezone,
        "persist.sys.usb.config": "mtp,adb",
        "pm.dexopt.bg-dexopt": "speed-profile",
        "pm.dexopt.install": "speed-profile",
        "ro.adb.secure": "1",
        "ro.allow.mock.location": "0",
        "ro.baseband": "mdm",
        "ro.board.platform": hardware,
        "ro.boot.flash.locked": "1" if bootloader_locked else "0",
        "ro.boot.hardware": hardware,
        "ro.boot.serialno": serial,
        "ro.boot.vbmeta.device_state": "locked" if bootloader_locked else "unlocked",
        "ro.boot.verifiedbootstate": verified_boot,
        "ro.boot.veritymode": "enforcing",
        "ro.bootimage.build.date.utc": str(date_utc),
        "ro.bootloader": "slider-1.2-10750397" if not samsung else "S911BXXU3CWK1",
        "ro.build.characteristics": "nosdcard",
        "ro.build.date.utc": str(date_utc),
        "ro.build.description": f"{product}-{build_type} {release} {build_id} {incremental} "
                                f"{build_tags}",
        "ro.build.display.id": build_id if not samsung else f"{build_id}.{incremental}",
        "ro.build.fingerprint": fingerprint,
        "ro.build.flavor": f"{product}-{build_type}",
        "ro.build.host": "abfarm-release-rbe-64" if not samsung else "21DJB823",
        "ro.build.id": build_id,
        "ro.build.product": device,
        "ro.build.tags": build_tags,
        "ro.build.type": build_type,
        "ro.build.user": "android-build" if not samsung else "dpi",
        "ro.build.version.all_codenames": "REL",
        "ro.build.version.codename": "REL",
        "ro.build.version.incremental": incremental,
        "ro.build.version.preview_sdk": "0",
        "ro.build.version.release": release,
        "ro.build.version.release_or_codename": release,
        "ro.build.version.sdk": str(sdk),
        "ro.build.version.security_patch": security_patch,
        "ro.config.alarm_alert": "Fresh_start.ogg",
        "ro.config.ringtone": "Your_new_adventure.ogg",
        "ro.crypto.state": "encrypted",
        "ro.crypto.type": "file",
        "ro.debuggable": debuggable,
        "ro.hardware": hardware,
        "ro.kernel.version": "5.10",
        "ro.oem_unlock_supported": "1",
        "ro.opengles.version": "196610",
        "ro.product.board": hardware,
        "ro.product.brand": brand,
        "ro.product.cpu.abi": "arm64-v8a",
        "ro.product.cpu.abilist": "arm64-v8a,armeabi-v7a,armeabi",
        "ro.product.cpu.abilist32": "armeabi-v7a,armeabi",
        "ro.product.cpu.abilist64": "arm64-v8a",
        "ro.product.device": device,
        "ro.product.first_api_level": str(min(sdk, 33)),
        "ro.product.locale": locale,
        "ro.product.manufacturer": manufacturer,
        "ro.product.model": model,
        "ro.product.name": product,
        "ro.product.system.brand": brand,
        "ro.product.system.manufacturer": manufacturer,
        "ro.product.system.model": model,
        "ro.product.vendor.brand": brand,
        "ro.product.vendor.device": device,
        "ro.product.vendor.model": model,
        "ro.revision": "MP1.0",
        "ro.secure": "1",
        "ro.serialno": serial,
        "ro.sf.lcd_density": "420",
        "ro.treble.enabled": "true",
        "ro.vendor.build.security_patch": security_patch,
        "ro.zygote": "zygote64_32",
        "security.perf_harden": "1",
        "service.bootanim.exit": "1",
        "sys.boot_completed": "1",
        "sys.usb.config": "mtp,adb",
        "sys.usb.state": "mtp,adb",
        "vold.has_adoptable": "0",
        "wifi.interface": "wlan0",
    }
    if sdk >= 29:
        props["ro.apex.updatable"] = "true"
    if sdk >= 30:
        props["ro.build.version.min_supported_target_sdk"] = "23" if sdk >= 34 else "17"
    if sdk >= 31:
        props["ro.build.version.release_or_preview_display"] = release
    if samsung:
        props.update({
            "ro.build.PDA": incremental,
            "ro.build.changelist": "27684429",
            "ro.build.version.oneui": {28: "10000", 29: "20100", 30: "30100", 31: "40100",
                                       32: "40100", 33: "50100", 34: "60100",
                                       35: "70000"}.get(sdk, "50100"),
            "ro.build.version.sem": str(2000 + sdk * 100),
            "ro.config.knox": "v40",
            "ro.csc.country_code": "FRANCE",
            "ro.csc.sales_code": "XEF",
            "ro.product.model.device": model,
            "ro.security.vpnpp.ver": "2.3",
            "ro.boot.warranty_bit": "0" if bootloader_locked else "1",
            "ro.warranty_bit": "0" if bootloader_locked else "1",
            "ro.boot.em.status": "0x0",
            "ro.frp.pst": "/dev/block/persistent",
        })
    if build_type != "user":
        props["ro.adb.secure"] = "0" if build_type == "eng" else "1"
    return props


def default_settings(*, sdk: int, vendor: str, props: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """``settings list`` defaults for a phone of this kind (every profile key overrides)."""
    samsung = vendor == "samsung"
    secure = {
        "android_id": "7f3b1c2e9a6d4f80",
        "accessibility_display_inversion_enabled": "0",
        "accessibility_enabled": "0",
        "assistant": "com.google.android.googlequicksearchbox/com.google.android.voiceinteraction.GsaVoiceInteractionService",
        "backup_enabled": "1",
        "backup_transport": "com.google.android.gms/.backup.BackupTransportService",
        "bluetooth_addr_valid": "1",
        "bluetooth_name": props.get("ro.product.model", "Phone"),
        "default_input_method": ("com.samsung.android.honeyboard/.service.HoneyBoardService"
                                 if samsung else
                                 "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME"),
        "doze_always_on": "0",
        "enabled_input_methods": ("com.samsung.android.honeyboard/.service.HoneyBoardService"
                                  if samsung else
                                  "com.google.android.inputmethod.latin/com.android.inputmethod.latin.LatinIME"),
        "enabled_notification_listeners": "",
        "immersive_mode_confirmations": "confirmed",
        "install_non_market_apps": "1",
        "location_mode": "3",
        "location_providers_allowed": "" if sdk >= 29 else "gps,network",
        "lock_screen_allow_private_notifications": "1",
        "lock_screen_owner_info_enabled": "0",
        "lock_screen_show_notifications": "1",
        "lockscreen.disabled": "0",
        "mock_location": "0",
        "screensaver_enabled": "0",
        "selected_spell_checker": "com.google.android.inputmethod.latin/com.android.inputmethod.latin.spellcheck.AndroidSpellCheckerService",
        "show_ime_with_hard_keyboard": "0",
        "skip_first_use_hints": "1",
        "sleep_timeout": "-1",
        "sms_default_application": ("com.samsung.android.messaging" if samsung
                                    else "com.google.android.apps.messaging"),
        "dialer_default_application": ("com.samsung.android.dialer" if samsung
                                       else "com.google.android.dialer"),
        "touch_exploration_enabled": "0",
        "trust_agents_initialized": "1",
        "user_setup_complete": "1",
        "voice_interaction_service": "com.google.android.googlequicksearchbox/com.google.android.voiceinteraction.GsaVoiceInteractionService",
        "wake_gesture_enabled": "1",
    }
    if sdk >= 31:
        secure["always_on_vpn_app"] = None  # removed below: only present when set
    global_ = {
        "adb_enabled": "1",
        "adb_wifi_enabled": "0",
        "airplane_mode_on": "0",
        "airplane_mode_radios": "cell,bluetooth,wifi,nfc,wimax",
        "animator_duration_scale": "1.0",
        "auto_time": "1",
        "auto_time_zone": "1",
        "bluetooth_on": "1",
        "boot_count": "37",
        "call_auto_retry": "0",
        "data_roaming": "0",
        "database_creation_buildid": props.get("ro.build.id", ""),
        "default_install_location": "0",
        "development_settings_enabled": "1",
        "device_name": props.get("ro.product.model", "Phone"),
        "device_provisioned": "1",
        "mobile_data": "1",
        "network_recommendations_enabled": "1",
        "package_verifier_enable": "1",
        "package_verifier_user_consent": "1",
        "stay_on_while_plugged_in": "0",
        "transition_animation_scale": "1.0",
        "usb_mass_storage_enabled": "1",
        "verifier_verify_adb_installs": "1",
        "wifi_on": "1",
        "wifi_scan_always_enabled": "1",
        "window_animation_scale": "1.0",
    }
    system = {
        "accelerometer_rotation": "0",
        "alarm_alert": "content://media/internal/audio/media/25?title=Fresh%20start&canonical=1",
        "dim_screen": "1",
        "dtmf_tone": "1",
        "dtmf_tone_type": "0",
        "font_scale": "1.0",
        "haptic_feedback_enabled": "1",
        "hearing_aid": "0",
        "lockscreen_sounds_enabled": "1",
        "mode_ringer_streams_affected": "422",
        "mute_streams_affected": "111",
        "notification_sound": "content://media/internal/audio/media/41?title=Eureka&canonical=1",
        "ringtone": "content://media/internal/audio/media/57?title=Your%20new%20adventure&canonical=1",
        "screen_brightness": "102",
        "screen_brightness_mode": "1",
        "screen_off_timeout": "30000",
        "sound_effects_enabled": "1",
        "time_12_24": "24",
        "vibrate_when_ringing": "0",
        "volume_alarm": "6",
        "volume_music": "7",
        "volume_ring": "5",
        "volume_system": "7",
        "volume_voice": "4",
    }
    if samsung:
        secure.update({"samsung_errorlog_agree": "0", "knox_finger_print_plus": "0"})
        global_.update({"package_verifier_enable": "1", "navigationbar_hide_bar": "1"})
        system.update({"navigationbar_key_order": "0", "navigationbar_use_theme_default": "0",
                       "samsung_errorlog_agree": "0"})
    return {
        "secure": {k: v for k, v in secure.items() if v is not None},
        "global": global_,
        "system": system,
    }
