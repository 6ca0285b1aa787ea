"""Benchmarks of the mobile screens (`jinlin bench`): GraphQL beside hand-written SQL, on the same data."""
