"""``python -m mnist_infer`` runs the command-line tool."""

from .cli import main

if __name__ == "__main__":
    main()
