"""Safe next steps shared by many rules, worded once.

Every step here is safe to take with a frightened person beside you. None of them asks
anyone to uninstall, switch off or reset anything: removing monitoring can alert the person
behind it, can escalate the danger, and destroys evidence. ``stalkerscan.report.wording``
checks every finding's text against that promise in the tests.
"""

from __future__ import annotations

PLAN_FIRST = (
    "Make a safety plan with an advocate before changing anything on the phone: the person "
    "behind this may notice as soon as it stops working."
)
LEAVE_IN_PLACE = (
    "Leave it in place for now. Removing it can alert whoever set it up and destroys "
    "evidence you may need later."
)
KEEP_EVIDENCE = (
    "Keep this report and the case folder somewhere the other person cannot reach; they show "
    "what was found, when, and that nothing has changed since."
)
ASSUME_WATCHED = (
    "Until you have a plan, assume what happens on this phone may be seen by someone else: "
    "use a phone or computer they have never had access to for sensitive calls and searches."
)
ASK_WORK_PHONE = (
    "Ask whether this is a work or school phone. If an employer or school manages it, this "
    "can be expected; if not, someone else may control the phone."
)
SETTINGS_NOTE = (
    "If the setting was changed without the owner knowing, note it with the advocate; "
    "changing it back can wait until there is a safety plan."
)


def ask_who_installed(name: str) -> str:
    """Ask the owner, privately, about one app."""
    return (
        f"Ask the phone's owner, in private, whether they installed {name} themselves or "
        "know who did."
    )
