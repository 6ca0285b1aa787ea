"""Resolvers per domain noun: validate, ask a policy, call the model layer once, return a payload."""
