"""Knowledge data files (TOML); a package so that setuptools ships them as package data."""
