"""Benchmarks: ``python -m bench`` runs every ``bench/*.py`` module that has a ``main()``.

Figures are printed, never asserted: speed depends on the machine, and tests must not be timed.
"""
