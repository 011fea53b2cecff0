"""mkdocs hooks of the jaxmotor site (mkdocs.yml: ``hooks:``).

Three things are generated at build time, so that the site cannot drift from the code:

* the tutorials: every ``notebooks/*.ipynb`` is added to the site as the page
  ``notebooks/<name>.ipynb`` (its path in the repository; rendered by mkdocs-jupyter from its
  committed outputs; nothing is executed);
* the CLI reference: ``<!-- jaxmotor:cli-reference -->`` in a page becomes the ``--help`` text of
  every command and subcommand, walked from ``jaxmotor.cli.main.build_parser()``;
* sections of README.md: ``<!-- jaxmotor:readme-section TITLE -->`` becomes the body of the
  README's ``## TITLE`` section (the benchmark table lives in one place), with its links rewritten
  to the site's pages.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
HELP_WIDTH = 100  # argparse wraps to $COLUMNS: fixed, so the page is the same on every machine

CLI_MARKER = "<!-- jaxmotor:cli-reference -->"
README_MARKER = re.compile(r"<!-- jaxmotor:readme-section (.+?) -->")

# README links (relative to the repository root) -> the site's pages (relative to docs/).
README_LINKS = {
    "CHANGELOG.md": "changelog.md",
    "CITATION.cff": "cite.md",
    "docs/physics.md": "physics.md",
    "docs/dynamics.md": "dynamics.md",
    "docs/motor_field.md": "motor_field.md",
}


def notebook_paths() -> list[Path]:
    """The notebooks the tutorials section renders: every ``notebooks/*.ipynb``, sorted."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@event_priority(100)  # before mkdocs-jupyter's on_files, which converts .ipynb files to pages
def on_files(files, config):
    # A plain File rooted at the repository (not File.generated: mkdocs-jupyter's wrapper of a file
    # loses a generated file's source path), so its page is notebooks/<name>/.
    for path in notebook_paths():
        files.append(File(f"notebooks/{path.name}", src_dir=str(ROOT), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:  # argparse keeps its subcommands only here
        if isinstance(action, argparse._SubParsersAction):
            yield from action.choices.items()


def walk_parsers(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ("jaxmotor",)):
    """Yield ``(command words, parser)`` for the parser and every subcommand below it, depth first."""
    yield prefix, parser
    for name, sub in _subparsers(parser):
        yield from walk_parsers(sub, prefix + (name,))


def cli_reference() -> str:
    """Markdown of every command's ``--help``, one section per command, from ``build_parser()``."""
    from jaxmotor.cli.main import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_WIDTH)
    try:
        parts = []
        for words, parser in walk_parsers(build_parser()):
            command = " ".join(words)
            parser.prog = command
            level = "#" * min(len(words) + 1, 4)
            parts.append(f"{level} `{command}`\n\n```text\n{parser.format_help().rstrip()}\n```\n")
        return "\n".join(parts)
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def readme_section(title: str) -> str:
    """The body of README.md's ``## title`` section, links rewritten for a page in docs/."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}\s*\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    if match is None:
        raise ValueError(f"README.md has no section '## {title}' (asked for by a docs page)")
    body = match.group(1).strip()

    def relink(m):
        label, target = m.group(1), m.group(2)
        path, _, anchor = target.partition("#")
        if re.match(r"^[a-z]+://", target):
            return m.group(0)
        if path in README_LINKS:
            return f"[{label}]({README_LINKS[path]}{'#' + anchor if anchor else ''})"
        return f"{label} (`{path}`)"  # a file of the repository, not a page of the site

    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", relink, body)


def on_page_markdown(markdown, page, config, files):
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    return README_MARKER.sub(lambda m: readme_section(m.group(1).strip()), markdown)
