"""Guidance: turn a question and its retrieved passages into a streamed answer."""
