/*
 * stalkerscan's own YARA rules. WEAK HINTS ONLY: see README.md in this folder.
 */

rule stalkerscan_dex_reads_screen_and_messages_hint
{
    meta:
        description = "Weak hint: a DEX file that both reads other apps' screens through an accessibility service and reads the SMS or call-log content providers. Many legitimate apps do one of the two; stalkerware typically does both. Never evidence on its own."
        strength = "weak"
        author = "stalkerscan contributors"
        reference = "https://developer.android.com/reference/android/accessibilityservice/AccessibilityService#getRootInActiveWindow()"

    strings:
        $accessibility_service = "Landroid/accessibilityservice/AccessibilityService;" ascii
        $read_window = "getRootInActiveWindow" ascii
        $sms_provider = "content://sms" ascii
        $call_log_provider = "content://call_log" ascii

    condition:
        uint32(0) == 0x0a786564 and   // "dex\n": a DEX file
        $accessibility_service and $read_window and
        ($sms_provider or $call_log_provider)
}
