"""`python -m sirenkit` runs the CLI."""

from sirenkit.cli.main import main

raise SystemExit(main())
