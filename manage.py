#!/usr/bin/env python
"""Django's manage.py, for habit; the ``caunoi`` console script does the same."""

from caunoi.cli import main

if __name__ == "__main__":
    main()
