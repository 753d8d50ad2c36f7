"""``python -m scanner.emulator``: run the emulator from the command line."""

import argparse
import sys

from scanner.emulator.cli import add_arguments, run


def main() -> int:
    """Parse the emulator's arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m scanner.emulator", description="local HTTPS emulator of Azure for ahds-audit"
    )
    add_arguments(parser)
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
