"""Maintenance scripts run from the Makefile (``make compose``); not part of the running app."""
