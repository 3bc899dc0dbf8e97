"""iPhone acquisition over usbmuxd with pymobiledevice3 (wrapped): one read-only choke point
(:mod:`.channel`), a synchronous client (:mod:`.client`), the plan (:mod:`.acquirer`), the scan
(:mod:`.scan`), device listing (:mod:`.devices`) and existing backups (:mod:`.backup`)."""
