"""Specs: scenario, range and population files as frozen dataclasses, with the input errors of bad files.

Knows nothing of roadrunner, figures or runs.
"""
