"""Escalation: the triggers that decide a conversation should go to a person (pure)."""
