"""Command-line layer: parse options, call one use case, render, exit."""
