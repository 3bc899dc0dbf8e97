"""Faithful command outputs of a simulated Android phone, one module per command family.

Every renderer takes a :class:`~stalkerscan.simulator.android.outputs.common.Context` (the
profile and the content faults in force) and the command's arguments, and returns a
:class:`~stalkerscan.simulator.android.base.ShellResult` with the exact bytes, stderr and exit
code the real command prints on the profile's Android version and vendor.

* :mod:`.pm`: ``pm`` / ``cmd package`` (list packages, path, list users, query-activities)
* :mod:`.dumpsys_package`: ``dumpsys package`` for all packages or one
* :mod:`.accessibility`: ``dumpsys accessibility`` (AOSP by version, Samsung)
* :mod:`.device_policy`: ``dumpsys device_policy``
* :mod:`.notification`: ``dumpsys notification`` listener sections
* :mod:`.settings`: ``settings list|get``
* :mod:`.appops`: ``cmd appops query-op|get``
* :mod:`.getprop`: ``getprop``
* :mod:`.shell`: ``date``, ``id``, ``echo``, ``ls``, ``cat``, ``stat``, ``which``, ...
* :mod:`.dumpsys`: the ``dumpsys`` service dispatcher
"""
