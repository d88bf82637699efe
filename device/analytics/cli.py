"""The `branchdoor report` command line, kept light: the report's heavy imports load only when it runs."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_report_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    report = commands.add_parser(
        "report", parents=[common], help="write the branch manager's monthly report (one HTML file)"
    )
    report.add_argument("--month", required=True, help="the month to report, e.g. 2026-11")
    report.add_argument("--out", required=True, type=Path, help="HTML file to write")
