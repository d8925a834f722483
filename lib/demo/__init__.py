"""The synthetic demo district (前进区)."""
