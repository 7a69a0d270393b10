"""The installable companion (web app manifest, service worker); docs/decisions/0020."""
