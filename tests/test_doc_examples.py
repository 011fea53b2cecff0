"""The code blocks of README.md and of every page in docs/ run (issue 20): the documentation cannot
drift from the code.

* ```` ```python ```` blocks run as scripts in a fresh interpreter, in a temporary folder, with a
  time limit.
* ```` ```bash ```` blocks (and blocks without a language that hold ``jaxmotor`` commands): every
  ``jaxmotor ...`` command is parsed by ``jaxmotor.cli.main.build_parser()``, which fails on an
  unknown flag, a bad choice, a wrongly typed value or a missing argument; nothing is executed
  (the commands are full-size runs). Shell around them is understood as far as the docs use it:
  ``\\`` continuations, ``&&``, ``;``, ``&``, ``for ...; do``, ``env``, ``srun`` and ``VAR=value``
  prefixes, ``$i`` variables (replaced by 0). A path under ``examples/`` must exist.
* ```` ```toml ```` blocks with a ``model`` key are sweep files: ``jaxmotor.sweep.from_dict`` must
  accept them.
* An HTML comment on the line before the opening fence marks a block (docs/documentation.md):
  ``<!-- doc-examples: skip (why) -->`` is illustrative and not checked,
  ``<!-- doc-examples: slow -->`` runs only with ``-m slow``.

README.md is not annotated (it is the lead's file); its blocks too slow for the default suite are
listed in ``README_SLOW`` by a phrase of the block.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md") if "hooks" not in p.parts)]
TIME_LIMIT = 600  # seconds per python block (a hung example fails instead of stalling the suite)

# README.md blocks that run too long for the default suite (phrase in the block -> why).
README_SLOW = {
    # ~30 s on 2 shared cores, mostly compiling the vmapped delta_n; its jax.grad of the spin gap is the
    # quick start's block (docs/quickstart.md), which runs in the default suite
    "jax.vmap(lambda w: observables": "compiles the vmapped observables: about 30 s on 2 cores",
}

_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!--\s*doc-examples:\s*(skip|slow)\b.*-->\s*$")


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    mark: str | None  # "skip", "slow" or None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced code block of a Markdown file, with the marker comment before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found, i = [], 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        mark = _MARK.match(before.strip())
        found.append(Block(path, i + 1, match.group(1), "\n".join(lines[i + 1:end]) + "\n",
                           mark.group(1) if mark else None))
        i = end + 1
    return found


ALL = [b for path in SOURCES for b in blocks(path)]
PYTHON = [b for b in ALL if b.language == "python"]
SHELL_LANGUAGES = ("bash", "sh", "shell", "console", "")


def _marks(block: Block):
    if block.mark == "skip":
        return [pytest.mark.skip(reason="marked illustrative (doc-examples: skip)")]
    slow = block.mark == "slow" or (block.path.name == "README.md"
                                    and any(phrase in block.code for phrase in README_SLOW))
    return [pytest.mark.slow] if slow else []


def jaxmotor_commands(code: str) -> list[list[str]]:
    """The argument lists of every ``jaxmotor`` command in a shell block (without the word
    ``jaxmotor``)."""
    code = re.sub(r"\\\n", " ", code)
    code = re.sub(r"\$\{?\w+\}?", "0", code)
    commands = []
    for line in code.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        segment: list[str] = []
        try:
            tokens = [*lexer, ";"]
        except ValueError:  # unbalanced quotes: prose in a block without a language, unless it runs jaxmotor
            if re.search(r"\bjaxmotor\s+\w", line):
                raise
            continue
        for token in tokens:
            if set(token) <= set(";&|"):
                words = list(segment)
                while words and (words[0] in ("do", "then", "env", "srun", "time", "nohup")
                                 or re.match(r"^\w+=", words[0])):
                    words.pop(0)
                if words and words[0] == "jaxmotor":
                    commands.append(words[1:])
                segment = []
            else:
                segment.append(token)
    return commands


# Shell blocks with a jaxmotor command (the others, pip and python3 lines, are not run).
def shell_code(block: Block) -> str:
    """The shell of a block: all of a bash block; of a block without a language (a listing that may
    mix prose), only its lines that start with ``jaxmotor``."""
    if block.language:
        return block.code
    return "\n".join(line for line in block.code.splitlines() if line.lstrip().startswith("jaxmotor "))


SHELL = [b for b in ALL if b.language in SHELL_LANGUAGES and jaxmotor_commands(shell_code(b))]


def test_the_extractor_finds_the_blocks_and_commands():
    assert len(PYTHON) >= 8 and len(SHELL) >= 8
    assert any(b.path.name == "README.md" for b in PYTHON)
    cmds = jaxmotor_commands("for i in 0 1; do\n  CUDA_VISIBLE_DEVICES=$i jaxmotor sweep a.toml --out b \\\n"
                             "      --process-id $i &\ndone; wait\n"
                             "python3 -m pip install . && jaxmotor pump sweep   # Fig. 3\n"
                             "srun env JAXMOTOR_DISTRIBUTED=1 jaxmotor sweep big.toml\n")
    assert cmds == [["sweep", "a.toml", "--out", "b", "--process-id", "0"], ["pump", "sweep"], ["sweep", "big.toml"]]


def parse_error(argv: list[str]) -> str | None:
    """What ``jaxmotor ARGV`` would refuse before running: argparse's message, or a missing file
    under examples/; None if the command line is well formed."""
    from jaxmotor.cli.main import build_parser

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(argv)
        except SystemExit as exit_:
            if exit_.code != 0:
                return stderr.getvalue().strip() or f"exit {exit_.code}"
    missing = [w for w in argv if w.startswith("examples/") and not (ROOT / w).exists()]
    return f"no such file: {missing}" if missing else None


def test_the_check_refuses_bad_command_lines():
    assert parse_error(["pump", "point", "--omega", "0.25", "--json"]) is None
    assert "--no-such-flag" in parse_error(["pump", "point", "--no-such-flag", "1"])
    assert parse_error(["motor", "run", "--noise", "purple"])  # not a choice
    assert parse_error(["sweep", "examples/sweeps/no_such.toml"])
    assert parse_error(["pump", "nosuchcommand"])


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id, marks=_marks(b)) for b in SHELL])
def test_shell_block_commands_parse(block):
    for argv in jaxmotor_commands(shell_code(block)):
        error = parse_error(argv)
        assert error is None, f"{block.id}: jaxmotor {' '.join(argv)}: {error}"


SWEEP_FILES = [b for b in ALL if b.language == "toml" and re.search(r"^model\s*=", b.code, flags=re.M)]


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id, marks=_marks(b)) for b in SWEEP_FILES])
def test_toml_sweep_file_is_accepted(block):
    import tomllib

    from jaxmotor import sweep

    spec = sweep.from_dict(tomllib.loads(block.code))
    assert spec.shape and all(n >= 1 for n in spec.shape)


@pytest.mark.parametrize("block", [pytest.param(b, id=b.id, marks=_marks(b)) for b in PYTHON])
def test_python_block_runs(block, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", block.code], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=TIME_LIMIT)
    assert proc.returncode == 0, f"{block.id} failed:\n{proc.stderr[-3000:]}"
