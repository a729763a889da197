"""``symrnn.torch_module``: ``gradcheck`` (finite differences), what it refuses, and bad input named before any work."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import symrnn  # noqa: E402
from symrnn.codegen.bench.configs import mgu  # noqa: E402
from symrnn.errors import InputError  # noqa: E402
from symrnn.pytorch.function import CellFunction  # noqa: E402

F64 = torch.float64


def _inputs(module, T=3, B=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    D = module.cells[0].n[module.input_names[0]]
    x = torch.randn(T, B, D, generator=g, dtype=F64, requires_grad=True)
    init = {s: torch.randn(B, c.n[s], generator=g, dtype=F64, requires_grad=True)
            for c in module.cells for s in c.state_names}
    return x, init


@pytest.mark.parametrize("description", ["mgu", "lstm_peephole", "bidirectional"])
def test_gradcheck_passes_at_small_sizes(description):
    desc = mgu() if description == "mgu" else symrnn.cell(description)
    module = symrnn.torch_module(desc, D=2, H=3, dtype=F64)
    x, init = _inputs(module)
    names = [n for n, _ in module.named_parameters()]
    params = [p.detach().clone().requires_grad_() for p in module.parameters()]

    def f(x, *tensors):
        state = dict(zip(init, tensors[:len(init)]))
        weights = dict(zip(names, tensors[len(init):]))
        out, final = torch.func.functional_call(module, weights, (x, state, [3, 2]))
        return (out, *final.values())

    assert torch.autograd.gradcheck(f, (x, *init.values(), *params), eps=1e-6, atol=1e-7)


def test_double_backward_raises_instead_of_a_wrong_gradient():
    module = symrnn.torch_module(symrnn.cell("gru_reset_after"), D=2, H=3, dtype=F64)
    x, _ = _inputs(module)
    out, _ = module(x)
    (g,) = torch.autograd.grad(out.square().sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice"):
        g.sum().backward()


@pytest.mark.parametrize("transform", ["grad", "vmap"])
def test_torch_func_transforms_are_refused_clearly(transform):
    module = symrnn.torch_module(symrnn.cell("rnn"), D=2, H=3, dtype=F64)
    x, _ = _inputs(module)
    if transform == "grad":
        run = lambda: torch.func.grad(lambda v: module(v)[0].sum())(x.detach())  # noqa: E731
    else:
        run = lambda: torch.func.vmap(lambda v: module(v)[0])(x.detach()[None])  # noqa: E731
    with pytest.raises(InputError, match="torch.func transforms"):
        run()


@pytest.fixture
def lstm(monkeypatch):
    module = symrnn.torch_module(symrnn.cell("lstm"), D=2, H=3)

    def never(*args):  # every bad input must be refused before the generated code runs
        raise AssertionError("computation started")

    monkeypatch.setattr(CellFunction, "forward", staticmethod(never))
    return module


@pytest.mark.parametrize("call,message", [
    (lambda m: m(torch.zeros(4, 2, 5)), r"x has shape \(4, 2, 5\), expected \(\?, \?, 2\)"),
    (lambda m: m(torch.zeros(4, 2)), r"x has shape \(4, 2\), expected \(\?, \?, 2\)"),
    (lambda m: m(torch.zeros(0, 2, 2)), "T and B must be at least 1"),
    (lambda m: m(torch.zeros(4, 2, 2, dtype=F64)), "x has dtype torch.float64, expected torch.float32"),
    (lambda m: m(torch.zeros(4, 2, 2, device="meta")), "x is on device meta"),
    (lambda m: m([[[0.0, 0.0]]]), "x must be a torch.Tensor, got list"),
    (lambda m: m(torch.zeros(4, 2, 2), {"h": torch.zeros(3, 3)}), r"initial\['h'\] has shape \(3, 3\), expected \(2, 3\)"),
    (lambda m: m(torch.zeros(4, 2, 2), {"q": torch.zeros(2, 3)}), r"initial: unexpected states \['q'\]"),
    (lambda m: m(torch.zeros(4, 2, 2), torch.zeros(2, 3)), "initial must be a dict"),
    (lambda m: m(torch.zeros(4, 2, 2), {"c": torch.zeros(2, 3, dtype=F64)}), r"initial\['c'\] has dtype torch.float64"),
    (lambda m: m(torch.zeros(4, 2, 2), lengths=[4, 5]), r"lengths must lie in 1..4 \(T, the length of x\), got min 4 max 5"),
    (lambda m: m(torch.zeros(4, 2, 2), lengths=[4, 0]), "lengths must lie in 1..4"),
    (lambda m: m(torch.zeros(4, 2, 2), lengths=[4]), r"lengths must have shape \(2,\)"),
    (lambda m: m(torch.zeros(4, 2, 2), lengths=torch.tensor([4.0, 2.0])), "lengths must hold integers"),
    (lambda m: m(torch.zeros(4, 2, 2), lengths=[4.0, 2.0]), "lengths must be integers"),
])
def test_bad_input_is_named_before_any_computation(lstm, call, message):
    with pytest.raises(InputError, match=message):
        call(lstm)


def test_parameters_on_two_devices_or_dtypes_are_named(lstm):
    lstm.U_o.data = lstm.U_o.data.double()
    with pytest.raises(InputError, match="parameter 'U_o' is torch.float64 on cpu, parameter 'W_i' torch.float32"):
        lstm(torch.zeros(4, 2, 2))


@pytest.mark.parametrize("kwargs,message", [
    ({"dtype": torch.int64}, "dtype must be one of"),
    ({"device": "nowhere"}, "device must be a torch.device"),
    ({"D": 2, "H": 3, "Q": 1}, "Q"),
])
def test_bad_construction_is_named(kwargs, message):
    with pytest.raises(symrnn.SymrnnError, match=message):
        symrnn.torch_module(symrnn.cell("rnn"), **kwargs)


def test_a_parameter_named_like_a_module_attribute_is_refused():
    b = symrnn.CellBuilder("clash")
    D, H = b.sizes("D H")
    x, h = b.input("x", D), b.state("h", H)
    b.update("h", symrnn.tanh(b.param("training", H, D) @ x + b.param("U", H, H) @ h))
    with pytest.raises(InputError, match="'training'.*torch.nn.Module attribute"):
        symrnn.torch_module(b.build(), D=2, H=3)


def test_importing_symrnn_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, symrnn; f = symrnn.torch_module; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_copies_and_pickled_modules_compute_the_same():
    import copy
    import io

    module = symrnn.torch_module(symrnn.cell("lstm_peephole"), D=2, H=3, dtype=F64)
    x, _ = _inputs(module)
    buffer = io.BytesIO()
    torch.save(module, buffer)  # the whole module, as torch.save(model) does
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    twin = copy.deepcopy(module)
    with torch.no_grad():
        twin.p_i.add_(1.0)  # a deep copy owns its parameters
    assert torch.equal(loaded(x)[0], module(x)[0])
    assert not torch.equal(twin(x)[0], module(x)[0]) and torch.equal(module.p_i, loaded.p_i)


def test_the_default_dtype_is_torchs_as_for_torch_nn_layers():
    old = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        m = symrnn.torch_module(symrnn.cell("gru_reset_after"), input_size=3, hidden_size=2)
        linear = torch.nn.Linear(3, 2)
    finally:
        torch.set_default_dtype(old)
    assert m.W_r.dtype == linear.weight.dtype == torch.float64
    assert symrnn.torch_module(symrnn.cell("rnn"), input_size=3, hidden_size=2).W.dtype == old
