"""Use cases: orchestrate adapters (through ports) and domain logic; return result objects."""
