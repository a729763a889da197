"""Issue 20, item 4: derivation documents never write a total derivative and a direct partial with one symbol.

For every cell of the catalogue (and the deep compositions), each displayed row
``lhs &= rhs`` of the markdown document is read back: the derivative on the
left must not appear on the right (the GRU's ``∂h_t/∂h_{t−1} = ∂h_t/∂h_{t−1} +
…``), local Jacobians are total derivatives (``d``), local partials direct ones
(``∂``), and the gradient-flow block of a multi-state cell names the rows of
h_T and the columns of h_{T−k}.
"""

from __future__ import annotations

import re

import pytest

import symrnn
from symrnn.derive import derivation_document

NAMES = symrnn.cells.names()
FRACTION = re.compile(r"\\frac\{\\(?:partial|mathrm\{d\}) [^{}]*(?:\{[^{}]*\}[^{}]*)*\}\{\\(?:partial|mathrm\{d\}) "
                      r"[^{}]*(?:\{[^{}]*\}[^{}]*)*\}")


def _rows(md: str):
    for block in re.findall(r"\$\$\n\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}\n\$\$", md, re.S):
        for row in block.split(" \\\\\n"):
            if "&=" in row:
                lhs, rhs = row.split("&=", 1)
                yield lhs.strip(), rhs


def _section(md: str, title: str) -> str:
    """Every section of that title (a bidirectional layer prefixes its direction), joined."""
    parts = re.split(r"\n## ", md)
    found = [p.split("\n", 1)[1] for p in parts if p.split("\n", 1)[0].endswith(title)]
    assert found, f"no section {title!r}"
    return "\n".join(found)


@pytest.mark.parametrize("name", NAMES)
def test_no_row_defines_a_derivative_by_itself(name):
    md = derivation_document(symrnn.cell(name), "md")
    rows = list(_rows(md))
    assert rows
    for lhs, rhs in rows:
        head = FRACTION.search(lhs)
        if head:
            assert head.group(0) not in rhs, f"{name}: {lhs} appears on its own right-hand side"


@pytest.mark.parametrize("name", NAMES)
def test_jacobians_are_total_and_partials_direct(name):
    md = derivation_document(symrnn.cell(name), "md")
    local = [lhs for lhs, _ in _rows(_section(md, "Local partial derivatives"))]
    jac = [lhs for lhs, _ in _rows(_section(md, "Local Jacobians")) if lhs]
    assert local and all(l.startswith(r"\frac{\partial ") for l in local)
    assert jac and all(j.startswith(r"\frac{\mathrm{d} ") for j in jac)
    flow = _section(md, "Gradient flow")
    assert r"\frac{\mathrm{d} " in flow and r"\partial" not in flow  # products of step Jacobians: totals


@pytest.mark.parametrize("name", ["lstm", "lstm_peephole", "lstm_full_recurrence"])
def test_the_flow_block_is_h_T_against_h_T_minus_k(name):
    flow = _section(derivation_document(symrnn.cell(name), "md"), "Gradient flow")
    assert r"(\mathbf{h}_{t}, \mathbf{h}_{t})" not in flow
    assert (r"\frac{\mathrm{d} \mathbf{h}_{T}}{\mathrm{d} \mathbf{h}_{T-k}} &= \text{its }(\mathbf{h}_{T}, \mathbf{h}_{T-k})"
            r"\text{ block (rows of }\mathbf{h}_{T}\text{, columns of }\mathbf{h}_{T-k}\text{)}") in flow


def test_the_gru_row_of_the_issue_now_reads_d_equals_partial_plus_chain():
    md = derivation_document(symrnn.cell("gru_reset_after"), "md")
    row = next(r for l, r in _rows(_section(md, "Local Jacobians"))
               if l == r"\frac{\mathrm{d} \mathbf{h}_{t}}{\mathrm{d} \mathbf{h}_{t-1}}")
    assert row.strip().startswith(r"\frac{\partial \mathbf{h}_{t}}{\partial \mathbf{h}_{t-1}} + "
                                  r"\frac{\partial \mathbf{h}_{t}}{\partial \tilde{\mathbf{h}}_{t}} "
                                  r"\frac{\mathrm{d} \tilde{\mathbf{h}}_{t}}{\mathrm{d} \mathbf{h}_{t-1}}")


def test_tree_jacobians_are_total_derivatives():
    from symrnn import trees

    md = trees.tree_document(trees.child_sum_tree_lstm(), "md")
    jac = md.split("## Jacobians", 1)[1]
    assert r"\frac{\mathrm{d} \mathbf{h}_{j}}{\mathrm{d} \mathbf{h}_{k}} &= " in jac and r"\partial" not in jac
