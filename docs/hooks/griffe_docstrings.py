"""Griffe extensions (mkdocs.yml, mkdocstrings ``extensions:``) for jaxmotor's docstrings.

``SphinxRoles``: the docstrings cross-reference with Sphinx roles (``:func:`observables```,
``:class:`~jaxmotor.motor._params.MotorParams```), which Markdown would print literally; they become
code spans (``observables``, ``MotorParams``: a ``~`` keeps the last component, as in Sphinx).

``GroupedParameters``: jaxmotor's docstrings document related parameters on one line of their ``Args:`` section,
``L, N, S: ring length, particles, spin``. Griffe's Google parser reads ``L, N, S`` as one name
that is not in the signature and warns, which fails ``mkdocs build --strict``. This extension
rewrites such a line, before the docstring is parsed, into one entry per name (each with the whole
description), so the check that every documented parameter exists stays on for all the others.
"""

from __future__ import annotations

import re

import griffe

_SECTION = re.compile(r"^(\s*)(Args|Arguments|Parameters|Keyword Args|Keyword Arguments|Other Parameters):\s*$")
_GROUPED = re.compile(r"^(\s+)(\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)+)(\s*\([^)]*\))?:(.*)$")


_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const):`(~?)([^`]+)`")


def sphinx_roles_to_code(text: str) -> str:
    """``:func:`a.b``` -> ```a.b```; ``:class:`~a.b.C``` -> ```C```."""
    return _ROLE.sub(lambda m: f"`{m.group(2).rsplit('.', 1)[-1] if m.group(1) else m.group(2)}`", text)


def split_grouped(text: str) -> str:
    """``a, b: description`` lines of an arguments section -> ``a: description`` and
    ``b: description`` (continuation lines are repeated under each name)."""
    lines, out, i = text.splitlines(), [], 0
    section_indent = None
    while i < len(lines):
        line = lines[i]
        header = _SECTION.match(line)
        if header:
            section_indent = len(header.group(1))
            out.append(line)
            i += 1
            continue
        if section_indent is not None and line.strip() and len(line) - len(line.lstrip()) <= section_indent:
            section_indent = None  # the section ended
        match = _GROUPED.match(line) if section_indent is not None else None
        if not match:
            out.append(line)
            i += 1
            continue
        indent, names, kind, first = match.group(1), match.group(2), match.group(3) or "", match.group(4)
        j = i + 1
        while j < len(lines) and lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) > len(indent):
            j += 1
        for name in (n.strip() for n in names.split(",")):
            out.append(f"{indent}{name}{kind}:{first}")
            out.extend(lines[i + 1:j])
        i = j
    return "\n".join(out)


class GroupedParameters(griffe.Extension):
    def on_function_instance(self, *, node, func: griffe.Function, agent, **kwargs) -> None:
        if func.docstring is not None and "," in func.docstring.value:
            func.docstring.value = split_grouped(func.docstring.value)


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, node, obj: griffe.Object, agent, **kwargs) -> None:
        if obj.docstring is not None and ":`" in obj.docstring.value:
            obj.docstring.value = sphinx_roles_to_code(obj.docstring.value)
