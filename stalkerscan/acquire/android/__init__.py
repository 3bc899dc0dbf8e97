"""Android acquisition over the adb server (pure-python-adb, wrapped)."""
