"""The GraphQL schema: types per domain noun, assembled into Query and Mutation in `schema.root`."""
