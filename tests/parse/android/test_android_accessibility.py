"""dumpsys accessibility: real Samsung and Android 14 captures, Android 8-15 and One UI layouts."""

from __future__ import annotations

from stalkerscan.parse.android.accessibility import parse_dumpsys_accessibility
from stalkerscan.parse.android.dumpsys_split import find_service

ANDROID_10 = b"""ACCESSIBILITY MANAGER (dumpsys accessibility)

User state[attributes:{id=0, currentUser=true, touchExplorationEnabled=true, displayMagnificationEnabled=false, navBarMagnificationEnabled=false, autoclickEnabled=false}
           Bound services:{Service[label=TalkBack, feedbackType[FEEDBACK_SPOKEN, FEEDBACK_HAPTIC, FEEDBACK_AUDIBLE], capabilities=1, eventTypes=TYPES_ALL_MASK, notificationTimeout=0]}
           Enabled services:{{com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService}}
           Binding services:{}]
"""

ANDROID_12_TWO_BOUND = b"""ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
User state[
     attributes:{id=0, touchExplorationEnabled=false, serviceHandlesDoubleTap=false, requestMultiFingerGestures=false, requestTwoFingerPassthrough=false, sendMotionEventsEnabledfalse, displayMagnificationEnabled=false, autoclickEnabled=false, nonInteractiveUiTimeout=0, interactiveUiTimeout=0, installedServiceCount=3}
     shortcut key:{}
     button:{}
     button target:{null}
     Bound services:{Service[label=Org Example Helper, feedbackType[FEEDBACK_GENERIC], capabilities=1, eventTypes=TYPES_ALL_MASK, notificationTimeout=100, requestA11yBtn=false],\x20
                     Service[label=Select to Speak, feedbackType[FEEDBACK_SPOKEN], capabilities=3, eventTypes=TYPES_ALL_MASK, notificationTimeout=0, requestA11yBtn=false]}
     Enabled services:{{org.example.helper/org.example.helper.HelperService}, {com.google.android.marvin.talkback/com.google.android.accessibility.selecttospeak.SelectToSpeakService}}
     Binding services:{}
     Crashed services:{{org.example.crashy/.CrashService}}
     Client list info:{
          Client list callbacks: 2
          Registered clients:{
[org.example.helper][com.android.systemui]}]
"""

ONE_UI_6 = b"""ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=0
User state[
     attributes:{id=0, touchExplorationEnabled=false, installedServiceCount=2}
     shortcut key:{}
     button:{}
     direct access:{}
     button target:{null}

     installed services: {
      0 : com.samsung.accessibility/.universalswitch.UniversalSwitchService  (A11yTool)
      1 : org.example.watch/.WatchService
     }
     Bound services:{Service[label=Watch Helper, feedbackType[FEEDBACK_GENERIC], capabilities=33, eventTypes=TYPES_ALL_MASK, notificationTimeout=0, requestA11yBtn=false]}
     Enabled services:{{org.example.watch/.WatchService}}
     Binding services:{}
     Crashed services:{}
"""

TWO_USERS = b"""ACCESSIBILITY MANAGER (dumpsys accessibility)

currentUserId=10
User state[
     attributes:{id=0, touchExplorationEnabled=false}
     Bound services:{}
     Enabled services:{}
     Binding services:{}
     Crashed services:{}
User state[
     attributes:{id=10, touchExplorationEnabled=false}
     Bound services:{}
     Enabled services:{}
     Binding services:{{org.example.second/.Svc}}
     Crashed services:{}
"""


def test_real_samsung_capture(android_capture):
    result = parse_dumpsys_accessibility(android_capture("dumpsys_accessibility.txt"))
    assert result.recognized and result.problems == ()
    state = result.user()
    assert state.user_id == 0 and result.current_user_id == 0
    assert state.installed == (
        "com.android.settings/com.samsung.android.settings.development.gpuwatch.GPUWatchInterceptor",
        "com.samsung.accessibility/.universalswitch.UniversalSwitchService",
        "com.samsung.accessibility/com.samsung.android.app.talkback.TalkBackService",
        "com.sec.android.app.camera/com.samsung.android.glview.AccessibilityGestureHandler",
    )
    assert state.enabled == () and state.bound_labels == () and state.binding == ()
    assert state.enabled_line == 32 and state.bound_line == 36


def test_real_android_14_capture(android_capture):
    result = parse_dumpsys_accessibility(android_capture("dumpsys_accessibility_v14_or_later.txt"))
    assert result.recognized
    state = result.user()
    assert state.user_id == 0
    assert state.enabled == ("com.malware.accessibility/com.malware.service.malwareservice",)
    assert state.bound_labels == ("Accessibility service",)
    assert state.crashed == () and state.binding == ()
    assert state.enabled_line == 21
    # The capture file has no final newline: its last line is set aside, and said so.
    assert [p.line for p in result.problems] == [46]


def test_real_androidqf_capture_section(androidqf_dir):
    section = find_service((androidqf_dir / "dumpsys.txt").read_bytes(), "accessibility")
    result = parse_dumpsys_accessibility(section.data)
    state = result.user()
    assert len(state.installed) == 4 and state.enabled == () and result.recognized


def test_android_10_layout():
    state = parse_dumpsys_accessibility(ANDROID_10).user()
    assert state.user_id == 0
    assert state.enabled == ("com.google.android.marvin.talkback/com.google.android.marvin.talkback.TalkBackService",)
    assert state.bound_labels == ("TalkBack",)
    assert "crashed" not in state.lists_seen


def test_android_12_two_bound_services_on_continuation_lines():
    result = parse_dumpsys_accessibility(ANDROID_12_TWO_BOUND)
    state = result.user()
    assert state.bound_labels == ("Org Example Helper", "Select to Speak")
    assert state.enabled == (
        "org.example.helper/org.example.helper.HelperService",
        "com.google.android.marvin.talkback/com.google.android.accessibility.selecttospeak.SelectToSpeakService",
    )
    assert state.crashed == ("org.example.crashy/.CrashService",)
    assert result.problems == ()


def test_one_ui_6_installed_list_and_standard_lists():
    state = parse_dumpsys_accessibility(ONE_UI_6).user()
    assert state.installed == ("com.samsung.accessibility/.universalswitch.UniversalSwitchService",
                               "org.example.watch/.WatchService")
    assert state.enabled == ("org.example.watch/.WatchService",)
    assert state.bound_labels == ("Watch Helper",)


def test_several_users_pick_the_current_one():
    result = parse_dumpsys_accessibility(TWO_USERS)
    assert [u.user_id for u in result.users] == [0, 10]
    assert result.current_user_id == 10
    assert result.user().user_id == 10 and result.user().binding == ("org.example.second/.Svc",)
    assert result.user(0).binding == ()


def test_hostile_label_cannot_swallow_the_enabled_list():
    data = ANDROID_12_TWO_BOUND.replace(b"label=Org Example Helper", b"label=}}}{{ <b>x</b> {{")
    state = parse_dumpsys_accessibility(data).user()
    assert state.enabled[0] == "org.example.helper/org.example.helper.HelperService"
    assert len(state.bound_labels) == 2


def test_crlf_and_non_utf8():
    data = ANDROID_10.replace(b"\n", b"\r\n").replace(b"label=TalkBack", b"label=Talk\xffBack")
    state = parse_dumpsys_accessibility(data).user()
    assert state.bound_labels == ("Talk\ufffdBack",)
    assert len(state.enabled) == 1


def test_cut_inside_a_list():
    data = ANDROID_12_TWO_BOUND[: ANDROID_12_TWO_BOUND.index(b"Select to Speak")]
    result = parse_dumpsys_accessibility(data)
    assert result.user().bound_labels == ("Org Example Helper",)
    assert any("never closes" in p.message for p in result.problems)


def test_unrelated_output_is_not_recognized():
    result = parse_dumpsys_accessibility(b"Can't find service: accessibility\n")
    assert not result.recognized and result.users == () and result.user() is None
    assert parse_dumpsys_accessibility(b"").problems == ()


def test_labels_with_commas_and_brackets():
    data = ANDROID_10.replace(b"label=TalkBack", b"label=Helper [beta], v2")
    assert parse_dumpsys_accessibility(data).user().bound_labels == ("Helper [beta], v2",)
    cut = b"User state[attributes:{id=0}\n  Bound services:{Service[label=Cut Label]}\n  Enabled services:{}\n"
    assert parse_dumpsys_accessibility(cut).user().bound_labels == ("Cut Label",)
