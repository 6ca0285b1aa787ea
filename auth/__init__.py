"""Who is asking and what they may do: passwords, tokens, the request's viewer, and the policies."""
