"""Optimiser classes against the published update rules, learning-rate
changes, and state that saves and loads."""
import numpy as np
import pytest
from test_optim_kernels import numpy_adam, numpy_sgd

import genmodels as gm
from genmodels import nn


def run(opt_factory, p0, grads):
    p = p0.copy()
    g = np.zeros_like(p)
    opt = opt_factory([(p, g)])
    for grad in grads:
        g[...] = grad
        opt.step()
    return p, opt


@pytest.mark.parametrize("kwargs", [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
                                    {"momentum": 0.5, "dampening": 0.5}])
def test_sgd(kwargs, rng):
    p0 = rng.standard_normal(30).astype(np.float32)
    grads = [rng.standard_normal(30).astype(np.float32) for _ in range(5)]
    got, _ = run(lambda ps: nn.SGD(ps, lr=0.05, **kwargs), p0, grads)
    want = numpy_sgd(p0, grads, 0.05, kwargs.get("momentum", 0), kwargs.get("dampening", 0),
                     kwargs.get("weight_decay", 0), kwargs.get("nesterov", False))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, wd", [(nn.Adam, 0.0), (nn.Adam, 1e-2), (nn.AdamW, 1e-2)])
def test_adam_family(cls, wd, rng):
    p0 = rng.standard_normal(30).astype(np.float32)
    grads = [rng.standard_normal(30).astype(np.float32) for _ in range(5)]
    got, _ = run(lambda ps: cls(ps, lr=1e-2, betas=(0.8, 0.99), weight_decay=wd), p0, grads)
    want = numpy_adam(p0, grads, 1e-2, 0.8, 0.99, 1e-8, wd, cls is nn.AdamW)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_learning_rate_change_and_zero_grad(rng):
    p = np.ones(3, np.float32)
    g = np.ones(3, np.float32)
    opt = nn.SGD([(p, g)], lr=0.1)
    opt.step()
    opt.lr = 0.5
    opt.step()
    np.testing.assert_allclose(p, 1 - 0.1 - 0.5)
    opt.zero_grad()
    assert np.all(g == 0)
    with pytest.raises(ValueError, match="'lr' must be >= 0"):
        opt.lr = -1


def test_state_round_trip_through_a_checkpoint(tmp_path, rng):
    net = nn.Linear(4, 3, seed=0)
    opt = nn.Adam(net, lr=1e-2)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    for _ in range(3):
        net.zero_grad()
        net.backward(net(x))
        opt.step()
    gm.save(net, tmp_path / "net.gm")
    gm.save(opt, tmp_path / "opt.gm")
    net2 = gm.load(tmp_path / "net.gm")
    opt2 = gm.load(tmp_path / "opt.gm", params=net2)
    assert opt2.step_count == 3 and opt2.lr == 1e-2
    for a, b in ((net, opt), (net2, opt2)):
        a.zero_grad()
        a.backward(a(x))
        b.step()
    np.testing.assert_array_equal(net.weight, net2.weight)
    with pytest.raises(gm.io.CheckpointError, match="needs params="):
        gm.load(tmp_path / "opt.gm")


def test_bad_arguments():
    p = np.zeros(3, np.float32)
    with pytest.raises(ValueError, match="Nesterov"):
        nn.SGD([(p, p.copy())], nesterov=True)
    with pytest.raises(ValueError, match="'betas'"):
        nn.Adam([(p, p.copy())], betas=(1.0, 0.9))
    adam = nn.Adam([(p, p.copy())])
    with pytest.raises(ValueError, match=r"Adam: 'betas' must be in \[0, 1\), got \(0.5, 1.5\)"):
        adam.betas = (0.5, 1.5)                           # as a model's fit(betas=) sets them
    with pytest.raises(ValueError, match="AdamW: 'weight_decay' must be >= 0"):
        nn.AdamW([(p, p.copy())], weight_decay=-1.0)
    assert adam.betas == (0.9, 0.999)
    with pytest.raises(ValueError, match="gradient 0 must be an array of shape"):
        nn.Adam([(p, np.zeros(2, np.float32))])
    with pytest.raises(TypeError, match="gradient 0 must be a C-contiguous float32 array"):
        nn.Adam([(p, np.zeros(3))])
    opt = nn.SGD([(p, p.copy())], momentum=0.9)
    with pytest.raises(ValueError, match="'lr' must be >= 0"):
        opt.lr = -1.0
    opt.momentum = -0.5                                   # set behind the optimiser's back:
    with pytest.raises(ValueError, match="sgd_step: 'momentum'"):
        opt.step()                                        # the kernel's own check still names it
    with pytest.raises(ValueError, match="no parameters"):
        nn.SGD([])


def test_state_dict_resumes_the_same_trajectory(rng):
    p0 = rng.standard_normal(12).astype(np.float32)
    grads = [rng.standard_normal(12).astype(np.float32) for _ in range(6)]
    for make in (lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
                 lambda ps: nn.AdamW(ps, lr=1e-2, weight_decay=0.1)):
        straight, _ = run(make, p0, grads)
        half, opt = run(make, p0, grads[:3])
        state = opt.state_dict()
        p, g = half.copy(), np.zeros_like(half)
        resumed = make([(p, g)])
        resumed.load_state_dict(state)
        for grad in grads[3:]:
            g[...] = grad
            resumed.step()
        np.testing.assert_array_equal(p, straight)
    bad = opt.state_dict()
    bad["arrays"]["m.0"] = np.zeros(5, np.float32)
    with pytest.raises(ValueError, match=r"AdamW: state 'm.0' has shape \(5,\), expected \(12,\)"):
        nn.AdamW([(p, g)]).load_state_dict(bad)


@pytest.mark.parametrize("name, kwargs", [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-2}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 1e-2, "betas": (0.8, 0.95), "weight_decay": 1e-2}),
    ("AdamW", {"lr": 1e-2, "weight_decay": 0.1})])
def test_matches_torch_optim_when_available(name, kwargs, rng):
    torch = pytest.importorskip("torch")
    p0 = rng.standard_normal(20).astype(np.float32)
    grads = [rng.standard_normal(20).astype(np.float32) for _ in range(8)]
    got, _ = run(lambda ps: getattr(nn, name)(ps, **kwargs), p0, grads)
    tp = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    topt = getattr(torch.optim, name)([tp], **kwargs)
    for grad in grads:
        tp.grad = torch.from_numpy(grad)
        topt.step()
    np.testing.assert_allclose(got, tp.detach().numpy(), rtol=1e-5, atol=1e-6)
