"""Commands of the reports side of the analysis layer (export, alerts, brief)."""

from __future__ import annotations

import click

commands: list[click.Command] = []
