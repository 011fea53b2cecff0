"""The documentation site (issue 20): ``mkdocs build --strict`` passes, and the site covers the code.

The build runs in the default suite (CI installs the ``docs`` extra through the ``test`` extra): a
broken link, a missing page or a docstring mkdocstrings cannot render fails here. The coverage
checks are made against the code itself: every public name of the namespaces has a docstring and
an entry in the API reference, every notebook is a page with its figures, every CLI command is on
the CLI page.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("mkdocstrings")
pytest.importorskip("mkdocs_jupyter")

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
NAMESPACES = ("jaxmotor.pump", "jaxmotor.motor", "jaxmotor.sweep")


def _hook():
    spec = importlib.util.spec_from_file_location("jaxmotor_docs_hook", DOCS / "hooks" / "jaxmotor_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_names(namespace: str) -> list[str]:
    """The names a namespace re-exports: not private, not a submodule (``closed_forms`` is a public
    namespace of its own and counts)."""
    module = importlib.import_module(namespace)
    return sorted(n for n, obj in vars(module).items()
                  if not n.startswith("_") and (not isinstance(obj, types.ModuleType) or n == "closed_forms")
                  and (isinstance(obj, types.ModuleType) or getattr(obj, "__module__", "").startswith("jaxmotor")))


def documented_identifiers() -> set[str]:
    """The identifiers of every ``::: identifier`` block in docs/, and the members listed in their
    ``members: [...]`` options."""
    found = set()
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"^::: ([\w.]+)\n((?:    .*\n)*)", text, flags=re.M):
            found.add(match.group(1))
            members = re.search(r"members: \[([^\]]*)\]", match.group(2))
            if members:
                found.update(f"{match.group(1)}.{m.strip()}" for m in members.group(1).split(",") if m.strip())
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the site once, strictly, outside the checkout (nothing is written into it)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                           "-d", str(out / "html")], cwd=out, env=env, capture_output=True, text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    warnings = [line for line in log.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, warnings
    return out / "html"


def _html(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_has_a_docstring(namespace):
    module = importlib.import_module(namespace)
    missing = [n for n in public_names(namespace) if not (inspect.getdoc(getattr(module, n)) or "").strip()]
    assert not missing, f"{namespace}: no docstring for {missing}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_name_is_in_the_api_reference(namespace):
    documented = documented_identifiers()
    missing = [n for n in public_names(namespace) if f"{namespace}.{n}" not in documented]
    assert not missing, f"add '::: {namespace}.NAME' to docs/reference/ for {missing}"
    assert len(public_names(namespace)) >= 6  # the namespace really was read


def test_api_reference_pages_render_every_public_name(site):
    pages = {"jaxmotor.pump": "reference/pump", "jaxmotor.motor": "reference/motor",
             "jaxmotor.sweep": "reference/engine"}
    for namespace, page in pages.items():
        html = _html(site, page)
        missing = [n for n in public_names(namespace) if f'id="{namespace}.{n}"' not in html]
        assert not missing, (namespace, missing)
    # a docstring really rendered (the Args section of the pure one-point function)
    assert _html(site, "reference/pump").count("Parameters:") >= 10


def test_every_notebook_is_a_tutorial_page_with_its_figures(site):
    hook = _hook()
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for path in hook.notebook_paths():
        assert f"notebooks/{path.name}" in nav, f"{path.name} is not in mkdocs.yml's nav"
        html = _html(site, f"notebooks/{path.stem}")
        committed = path.read_text(encoding="utf-8").count('"image/png"')
        assert html.count("data:image/png;base64") >= committed, path.name  # every committed figure shown
    assert len(hook.notebook_paths()) >= 5


def test_cli_reference_lists_every_command_with_its_help(site):
    from jaxmotor.cli.main import build_parser

    hook = _hook()
    html = _html(site, "reference/cli")
    commands = [" ".join(words) for words, _ in hook.walk_parsers(build_parser())]
    assert "jaxmotor pump sweep" in commands and "jaxmotor motor run" in commands and "jaxmotor sweep" in commands
    for command in commands:
        assert f"<code>{command}</code>" in html, command
    # the flags of the multi-process sweep are documented from the parser itself
    for flag in ("--coordinator", "--num-processes", "--process-id", "--fast-gpu"):
        assert flag in html


def test_cli_reference_is_the_parsers_help_text():
    from jaxmotor.cli.main import build_parser

    text = _hook().cli_reference()
    parser = dict((" ".join(w), p) for w, p in _hook().walk_parsers(build_parser()))["jaxmotor motor run"]
    for action in parser._actions:
        for option in action.option_strings:
            assert option in text


def test_performance_page_carries_the_readme_table(site):
    section = _hook().readme_section("Performance")
    scripts = set(re.findall(r"`(\w+\.py)`", section))
    assert "bench_pump_ed.py" in scripts
    html = _html(site, "performance")
    assert "<table>" in html
    for script in scripts:  # every row's script, from the README's current table
        assert script in html, script


def test_physics_page_is_included_and_states_efficiency_one_half_at_maximum_power(site):
    physics = (DOCS / "physics.md").read_text(encoding="utf-8")
    assert "**1/2 at maximum power**" in physics
    assert "Efficiency at maximum power is 1/2, not 1/(4π) (Eq. 42)" in physics
    html = _html(site, "physics")
    assert "1/2 at maximum power" in html


def test_changelog_and_citation_are_included_verbatim(site):
    changelog = _html(site, "changelog")
    first_entry = next(line for line in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines()
                       if line.startswith("## ["))
    assert first_entry[3:].split("]")[0] in changelog
    cite = _html(site, "cite")
    assert "cff-version" in cite and "An Autonomous Topological Pump" in cite


def test_grouped_parameters_are_split_and_unknown_ones_still_checked():
    spec = importlib.util.spec_from_file_location("griffe_grouped", DOCS / "hooks" / "griffe_docstrings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = ("Run.\n\nArgs:\n    L, N: sizes,\n        continued.\n    x (float): one, two.\n\n"
            "Returns:\n    a, b: kept.\n")
    assert module.split_grouped(text) == ("Run.\n\nArgs:\n    L: sizes,\n        continued.\n    N: sizes,\n"
                                          "        continued.\n    x (float): one, two.\n\nReturns:\n    a, b: kept.")
    assert "warn_unknown_params: false" not in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert module.sphinx_roles_to_code(":func:`solve` and :class:`~jaxmotor.motor._params.MotorParams`, "
                                       ":mod:`jaxmotor.batching`") == "`solve` and `MotorParams`, `jaxmotor.batching`"


def test_api_pages_show_no_raw_sphinx_roles(site):
    for page in ("reference/pump", "reference/motor", "reference/engine"):
        assert not re.search(r":(func|class|mod|meth|attr):", _html(site, page)), page


def test_extra_assets_named_in_mkdocs_yml_exist():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    block = config.split("extra_javascript:")[1].split("\n\n")[0]
    local = [line.strip()[2:] for line in block.splitlines() if line.strip().startswith("- ")
             and "://" not in line]
    assert local and all((DOCS / path).is_file() for path in local), local


def test_home_page_figures_are_committed_and_shown(site):
    html = _html(site, "")
    for png in ("assets/pump_sweep.png", "assets/motor_load_curve.png"):
        assert (DOCS / png).stat().st_size > 10_000
        assert png in html
