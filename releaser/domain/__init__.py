"""Pure domain: kit model, versions, constraints, verdicts, diffs. No I/O, no clock."""
