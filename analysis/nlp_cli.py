"""Commands of the NLP side of the analysis layer (train, evaluate, enrich)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
