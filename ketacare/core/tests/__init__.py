"""Tests of the pure-Python clinical core (no Django needed: run with -p no:django)."""
