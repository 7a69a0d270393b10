"""Demo clinics and their history, seeded through the services (above every app, like the CLI)."""
