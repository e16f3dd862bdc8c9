"""``python -m mnist_infer`` and the ``mnist-infer`` command: the language first, then the command line."""

import sys


def main() -> None:
    """Run the command line. Its import (Click's, mostly) takes a tenth of a second: Ctrl-C then, as later, prints
    ``Interrupted.`` and exits 130, without a traceback."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()
