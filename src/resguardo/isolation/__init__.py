"""Keeping live and test apart: the live-subject guard and environment helpers."""
