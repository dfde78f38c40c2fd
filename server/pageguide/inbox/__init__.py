"""The built-in agent inbox: sign-in, the queue, live conversations (see docs/inbox.md)."""
