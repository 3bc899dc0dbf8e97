"""Simulated iPhone: usbmuxd, lockdownd and the read-only lockdown services."""
