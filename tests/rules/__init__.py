"""Unit tests of the built-in rules, one module per rule area."""
