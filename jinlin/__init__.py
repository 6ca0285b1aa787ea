"""Process-level plumbing for the 近邻 service: settings, database wiring, command line, demo data."""
