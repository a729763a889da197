"""Tree model descriptions: equations, LaTeX, counts, Jacobians through the gathers, theorems, strategies."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

import symrnn
from symrnn import trees
from symrnn.derive import diag, jacobian, matrix
from symrnn.errors import InputError, SpecError, UnknownNameError
from symrnn.prove import catalogue, equivalent, run
from symrnn.testing.trees import forests, rooted_trees, tree_examples

D, H = symrnn.sizes("D H")


@pytest.mark.parametrize("N", [1, 2, 3, 4])
def test_nary_parameter_count_is_tai_formula(N):
    # 4 input matrices and biases, 3N matrices U^(l) for i, o, u, N^2 matrices U_f^(kl)
    assert sp.expand(trees.nary_tree_lstm(N).parameter_count() - (4 * D * H + (3 * N + N * N) * H**2 + 4 * H)) == 0
    assert sp.expand(trees.recursive_nn(N).parameter_count() - (D * H + N * H**2 + H)) == 0


def test_child_sum_forget_gate_has_the_input_term():
    m = trees.child_sum_tree_lstm()
    terms = {(t.matrix, t.vector) for t in m.edge.terms("a_f")}
    assert terms == {("W_f", "x"), ("U_f", "h_k"), (None, "b_f")}
    tex = m.latex()
    assert r"\mathbf{f}_{jk} &= \sigma\left(\mathbf{U}_{f} \mathbf{h}_{k} + \mathbf{W}_{f} \mathbf{x}_{j}" in tex
    assert r"\mathbf{c}_{j} &= \sum_{k \in C(j)} \mathbf{f}_{jk} \odot \mathbf{c}_{k} + \mathbf{i}_{j} \odot \mathbf{u}_{j}" in tex
    assert "_{t" not in tex
    assert m.to_dict()["parameter_count"] == "4*D*H + 4*H**2 + 4*H"


def test_nary_latex_has_position_matrices():
    tex = trees.nary_tree_lstm(2).latex()
    assert r"\mathbf{U}^{(12)}_{f} \mathbf{h}_{j2}" in tex and r"\mathbf{U}^{(2)}_{i} \mathbf{h}_{j2}" in tex


def test_child_jacobians_by_hand():
    m = trees.child_sum_tree_lstm()
    f = m.edge.unit("f")
    assert trees.child_jacobian(m, "c", "c").is_diag_of(f)
    # ∂h_j/∂h_k of the child-sum RNN: Diag(1 - h_j^2) U (the sum passes h_k through unchanged)
    rnn = trees.child_sum_recursive_nn()
    hj = rnn.node.unit("h")
    assert trees.child_jacobian(rnn, "h", "h").equals(diag(1 - hj**2, H) @ matrix("U", H, H))
    nr = trees.recursive_nn(2)
    assert trees.child_jacobian(nr, "h", "h", slot=1).equals(diag(1 - nr.node.unit("h") ** 2, H) @ matrix("U_2", H, H))
    # N-ary: c_j depends on child l's c only through f_jl
    n2 = trees.nary_tree_lstm(2)
    assert trees.child_jacobian(n2, "c", "c", slot=1).is_diag_of(n2.node.unit("f_2"))
    # agrees with the Jacobian of the expanded one-child chain cell
    chain = trees.one_child(m)
    assert trees.child_jacobian(m, "c", "c").is_diag_of(chain.unit("f"))
    assert jacobian(chain, "c", "c_prev").is_diag_of(chain.unit("f"))
    with pytest.raises(SpecError, match="slot"):
        trees.child_jacobian(n2, "c", "c")
    with pytest.raises(UnknownNameError):
        trees.child_jacobian(m, "c", "z")


def test_expand_and_errors():
    cell = trees.expand(trees.child_sum_tree_lstm(), 3)
    assert {d.name for d in cell.inputs} == {"x", "h_1", "h_2", "h_3", "c_1", "c_2", "c_3"}
    assert {eq.target for eq in cell.equations} >= {"f_1", "f_2", "f_3", "m_1", "m_3"}
    leaf = trees.expand(trees.nary_tree_lstm(2), 0)
    assert {d.name for d in leaf.inputs} == {"x"}
    with pytest.raises(SpecError, match="at most 2"):
        trees.expand(trees.nary_tree_lstm(2), 3)
    with pytest.raises(SpecError, match="one child"):
        trees.expand(trees.child_sum_tree_lstm(), 2, chain=True)
    with pytest.raises(SpecError, match="arity"):
        trees.nary_tree_lstm(0)
    with pytest.raises(UnknownNameError, match="child_sum_tree_lstm"):
        trees.model("tree_gru")
    assert trees.model("nary_tree_lstm", arity=3).arity == 3


def test_dgl_forget_gate_is_not_tai():
    """Dropping W_f x (DGL's example) is a different model: the prover refutes the equivalence."""
    m = trees.child_sum_tree_lstm()
    dgl = trees.one_child(m).substitute({"W_f": 0})
    assert equivalent(dgl, symrnn.cell("lstm"), rename={"W_u": "W_g", "U_u": "U_g", "b_u": "b_g"}).status == "refuted"


def test_tree_theorems_in_catalogue_as_expected():
    names = ["recursive_nn_chain_is_rnn", "child_sum_recursive_nn_chain_is_rnn", "child_sum_tree_lstm_chain_is_lstm",
             "nary_tree_lstm_chain_is_lstm", "child_sum_tree_lstm_order_invariant",
             "child_sum_recursive_nn_order_invariant", "nary_tree_lstm_order_overstatement",
             "recursive_nn_order_overstatement", "child_sum_tree_lstm_cell_path"]
    verdicts = {v.theorem: v for v in run(catalogue(names))}
    for n, v in verdicts.items():
        assert v.as_expected, (n, v.status, v.result.message)
        assert v.status == ("refuted" if "overstatement" in n else "proved"), n
    ce = verdicts["nary_tree_lstm_order_overstatement"].result.counterexample
    # the counterexample is a concrete node with two children: re-run it with the per-node recursion of the paper
    m = trees.nary_tree_lstm(2)
    p = {k: np.asarray(v) for k, v in ce["params"].items()}
    x = {k: np.asarray(v)[ce["step"] - 1, 0] for k, v in ce["inputs"].items()}  # the node's inputs at that step
    kid = {j: {"h": x[f"h_{j}"], "c": x[f"c_{j}"]} for j in (1, 2)}
    s = trees.reference.node_step(m, p, x["x"], [(0, kid[1]), (1, kid[2])])
    swapped = trees.reference.node_step(m, p, x["x"], [(0, kid[2]), (1, kid[1])])
    assert max(np.max(np.abs(s[k] - swapped[k])) for k in ("h", "c")) > 1e-6
    assert float(ce["difference"]) > 1e-6


def test_reference_recursion_is_chosen_by_description_not_name():
    from dataclasses import replace

    from symrnn.errors import InputError

    assert trees.reference.paper_form(trees.child_sum_recursive_nn()) == ("child_sum_recursive_nn", "tanh")
    assert trees.reference.paper_form(trees.recursive_nn(3, activation="relu")) == ("recursive_nn", "relu")
    # a ReLU model whose summary says tanh was checked against the tanh recursion (the summary was read); now refused
    impostor = replace(trees.child_sum_recursive_nn("relu"), summary="recursive NN over the sum of the children (tanh)")
    with pytest.raises(InputError, match="not one of the catalogue models"):
        trees.reference.paper_form(impostor)
    # a user model named like a catalogue model but with other equations is refused, not silently compared
    other = replace(trees.child_sum_tree_lstm(), node=trees.child_sum_recursive_nn().node)
    with pytest.raises(InputError, match="evaluate a user model from its description"):
        trees.reference.paper_form(other)


@settings(max_examples=20, deadline=None)
@given(rooted_trees(min_nodes=2, max_nodes=12, max_depth=3, max_children=2, features=2, positions=True))
def test_rooted_trees_respect_bounds(G):
    assert nx.is_arborescence(G) and 2 <= G.number_of_nodes() <= 12
    assert max(nx.shortest_path_length(G, 0).values()) <= 3
    assert all(G.out_degree(v) <= 2 for v in G)
    assert all(G.nodes[v]["x"].shape == (2,) for v in G)
    for v in G:
        pos = [G.edges[v, c]["position"] for c in G.successors(v)]
        assert len(set(pos)) == len(pos) and all(0 <= p < 2 for p in pos)
    f = trees.forest(G)  # valid input; its levels are networkx's topological generations of child -> parent
    levels = [{f.nodes[r][1] for r in range(f.offsets[l], f.offsets[l + 1])} for l in range(f.levels)]
    assert levels == [set(g) for g in nx.topological_generations(G.reverse())]


@settings(max_examples=10, deadline=None)
@given(forests(min_trees=2, max_trees=3, max_nodes=4))
def test_forests_are_lists_of_valid_trees(ts):
    f = trees.forest(ts)
    assert 2 <= len(ts) <= 3 and len(f.roots) == len(ts)


def test_strategy_arguments_checked():
    with pytest.raises(InputError, match="max_nodes"):
        rooted_trees(min_nodes=5, max_nodes=2)
    with pytest.raises(InputError, match="cannot be reached"):
        rooted_trees(min_nodes=10, max_depth=1, max_children=2)
    with pytest.raises(InputError, match="positions"):
        rooted_trees(positions=True)
    with pytest.raises(InputError, match="max_trees"):
        forests(min_trees=3, max_trees=1)
    with pytest.raises(InputError, match="TreeModel"):
        tree_examples(symrnn.cell("lstm"))


@pytest.mark.parametrize("name", ["recursive_nn", "child_sum_tree_lstm", "nary_tree_lstm"])
def test_documents_compile(name):
    from symrnn._latex_engine import compile_tex, tex_engine

    m = trees.model(name)
    md = trees.tree_document(m, "md")
    assert "## Jacobians" in md and m.name in md
    if tex_engine() is None:
        pytest.skip("no TeX engine")
    assert compile_tex(trees.tree_document(m)).startswith(b"%PDF")


def test_document_jacobians_match_child_jacobian_numerically(rng):
    """The N-ary document differentiates the full node; child_jacobian evaluated numerically agrees with torch."""
    torch = pytest.importorskip("torch")
    m = trees.nary_tree_lstm(2)
    Hn, Dn = 3, 2
    k = trees.compile_tree(m, D=Dn, H=Hn)
    p = k.init_params(rng=rng, scale=1.0)
    x = rng.normal(size=Dn)
    kids = [{"h": rng.normal(size=Hn), "c": rng.normal(size=Hn)} for _ in range(2)]
    V = symrnn.numeric.reference.step(m.node, p, {"x": x[None], **{f"{s}_{j + 1}": kids[j][s][None]
                                                                  for j in range(2) for s in "hc"}}, {"h": np.zeros((1, Hn)), "c": np.zeros((1, Hn))})
    values = {n: (v[0] if getattr(v, "ndim", 0) == 2 and v.shape[0] == 1 and n not in p else v) for n, v in V.items()}
    J = trees.child_jacobian(m, "h", "h", slot=0).evaluate(values, {D: Dn, H: Hn})

    def h_of(h1):
        tp = {n: torch.tensor(v) for n, v in p.items()}
        hs = [h1, torch.tensor(kids[1]["h"])]
        cs = [torch.tensor(kids[0]["c"]), torch.tensor(kids[1]["c"])]
        xt = torch.tensor(x)

        def pre(g, nm):
            return tp[f"W_{g}"] @ xt + tp[f"b_{g}"] + sum(tp[f"U_{nm}_{l + 1}"] @ hs[l] for l in range(2))

        c = torch.sigmoid(pre("i", "i")) * torch.tanh(pre("u", "u")) + sum(
            torch.sigmoid(pre("f", f"f{k_ + 1}")) * cs[k_] for k_ in range(2))
        return torch.sigmoid(pre("o", "o")) * torch.tanh(c)

    ref = torch.autograd.functional.jacobian(h_of, torch.tensor(kids[0]["h"])).numpy()
    assert np.max(np.abs(J - ref)) <= 1e-10
