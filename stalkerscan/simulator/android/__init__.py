"""Simulated Android phone: model, outputs, and the two ADB protocol layers."""
