"""``python -m scanner``: the same CLI as the ``ahds-audit`` command."""

from scanner.cli import main_entry

if __name__ == "__main__":
    main_entry()
