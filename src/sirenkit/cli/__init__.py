"""Command-line interface: `sirenkit <task> ...`, `sirenkit render`, `sirenkit info`."""
