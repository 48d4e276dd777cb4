"""Commands of the dashboard layer: demo (build the demo store) and dashboard (serve)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

APP = Path(__file__).resolve().parent / "app.py"


@click.command()
@click.option("--records", type=click.IntRange(min=100), default=None,
              help="How many synthetic records (default 24,000; use e.g. 1000000 for benchmarks).")
@click.option("--seed", type=int, default=None, help="Generator seed (default: fixed, so the demo is reproducible).")
@click.option("--force", is_flag=True, help="Rebuild even if the store already holds demo data.")
@click.option("--no-enrich", is_flag=True, help="Skip scoring (sentiment etc.); the Overview then has no sentiment.")
def demo(records: int | None, seed: int | None, force: bool, no_enrich: bool) -> None:
    """Build the demo store: SYNTHETIC records for every tracker, then score them."""
    from analysis.demo_store import build_demo_store

    summary = build_demo_store(records=records, seed=seed, force=force, enrich=not no_enrich)
    click.echo(summary, err=True)


@click.command("dashboard")
@click.option("--port", default=8501, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--headless/--open-browser", default=True, show_default=True)
def dashboard_cmd(port: int, host: str, headless: bool) -> None:
    """Serve the dashboard (Streamlit) on http://HOST:PORT."""
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port), "--server.address", host,
           "--server.headless", "true" if headless else "false", "--browser.gatherUsageStats", "false"]
    raise SystemExit(subprocess.call(cmd))


commands: list[click.Command] = [demo, dashboard_cmd]
