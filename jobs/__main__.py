"""``python -m jobs`` is the ``recon`` command."""

from jobs.cli import main

main()
