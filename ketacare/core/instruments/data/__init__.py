"""Instrument definitions as TOML, one file per instrument (a package so the files ship as package data)."""
