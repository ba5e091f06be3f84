"""Convolution and transposed convolution against NumPy references, with
every gradient checked by finite differences."""
import numpy as np
import pytest
from gradcheck import check_grad

from genmodels import ops


def ref_conv2d(x, w, b, stride, pad):
    """Direct definition, float64."""
    n, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    sh, sw = stride
    ph, pw = pad
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, oc, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w)
    return out if b is None else out + b.reshape(1, -1, 1, 1)


def ref_conv_transpose2d(x, w, b, stride, pad, out_pad):
    """Scatter definition: each input pixel adds weight * value to a window."""
    n, ic, h, wd = x.shape
    _, oc, kh, kw = w.shape
    sh, sw = stride
    ph, pw = pad
    oh, ow = (h - 1) * sh - 2 * ph + kh + out_pad[0], (wd - 1) * sw - 2 * pw + kw + out_pad[1]
    full = np.zeros((n, oc, (h - 1) * sh + kh + out_pad[0], (wd - 1) * sw + kw + out_pad[1]))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.einsum("nc,cokl->nokl", x[:, :, i, j], w)
    out = full[:, :, ph:ph + oh, pw:pw + ow]
    return out if b is None else out + b.reshape(1, -1, 1, 1)


CASES = [  # (N, C, H, W), (OC, KH, KW), stride, padding
    ((2, 3, 7, 6), (4, 3, 3), (1, 1), (1, 1)),
    ((3, 1, 9, 9), (2, 4, 4), (2, 2), (1, 1)),
    ((1, 2, 8, 5), (3, 5, 3), (3, 2), (2, 0)),
    ((2, 4, 5, 5), (1, 1, 1), (1, 1), (0, 0)),
    ((2, 2, 6, 7), (3, 2, 3), (2, 3), (0, 2)),
    ((2, 2, 1, 2), (3, 5, 4), (1, 1), (2, 2)),    # taps wholly in the padding
    ((1, 1, 2, 3), (2, 2, 2), (1, 2), (3, 1)),    # padding wider than the kernel
]


@pytest.mark.parametrize("xs, ws, stride, pad", CASES)
def test_conv2d_forward_matches_reference(xs, ws, stride, pad, rng, isa):
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal((ws[0], xs[1], ws[1], ws[2])).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    got = ops.conv2d_forward(x, w, b, stride=stride, padding=pad)
    np.testing.assert_allclose(got, ref_conv2d(x.astype(np.float64), w, b, stride, pad), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("xs, ws, stride, pad", CASES[:3])
def test_conv2d_gradients_match_finite_differences(xs, ws, stride, pad, rng):
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal((ws[0], xs[1], ws[1], ws[2])).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    y = ops.conv2d_forward(x, w, b, stride=stride, padding=pad)
    g = rng.standard_normal(y.shape)
    dx = ops.conv2d_backward_input(g.astype(np.float32), w, x.shape, stride=stride, padding=pad)
    dw, db = ops.conv2d_backward_weight(g.astype(np.float32), x, ws[1:], stride=stride, padding=pad)
    check_grad(lambda x_, w_, b_: np.sum(g * ref_conv2d(x_, w_, b_, stride, pad)), [x, w, b], [dx, dw, db],
               rtol=1e-3, atol=1e-3)


TCASES = [  # (N, IC, H, W), (OC, KH, KW), stride, padding, output_padding
    ((2, 3, 4, 4), (2, 4, 4), (2, 2), (1, 1), (0, 0)),
    ((1, 2, 3, 5), (3, 3, 3), (2, 1), (1, 0), (1, 0)),
    ((2, 4, 3, 3), (1, 4, 4), (2, 2), (1, 1), (1, 1)),
    ((3, 1, 2, 2), (2, 2, 2), (1, 1), (0, 0), (0, 0)),
]


@pytest.mark.parametrize("xs, ws, stride, pad, opad", TCASES)
def test_conv_transpose2d_forward_and_gradients(xs, ws, stride, pad, opad, rng):
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal((xs[1], ws[0], ws[1], ws[2])).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    y = ops.conv_transpose2d_forward(x, w, b, stride=stride, padding=pad, output_padding=opad)
    ref = ref_conv_transpose2d(x.astype(np.float64), w, b, stride, pad, opad)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    g = rng.standard_normal(y.shape)
    dx = ops.conv_transpose2d_backward_input(g.astype(np.float32), w, x.shape, stride=stride, padding=pad)
    dw, db = ops.conv_transpose2d_backward_weight(g.astype(np.float32), x, ws[1:], stride=stride, padding=pad)
    check_grad(lambda x_, w_, b_: np.sum(g * ref_conv_transpose2d(x_, w_, b_, stride, pad, opad)),
               [x, w, b], [dx, dw, db], rtol=1e-3, atol=1e-3)


def test_transpose_is_the_adjoint_of_conv(rng):
    x = rng.standard_normal((2, 3, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 3, 4, 4)).astype(np.float32)
    y = ops.conv2d_forward(x, w, stride=2, padding=1)
    v = rng.standard_normal(y.shape).astype(np.float32)
    back = ops.conv_transpose2d_forward(v, w, stride=2, padding=1, output_padding=1)
    assert back.shape == x.shape
    np.testing.assert_allclose(np.vdot(y, v), np.vdot(x, back), rtol=1e-4)


def test_weight_gradients_accumulate_and_workspace_is_reused(rng):
    x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    g = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    size = ops.conv2d_workspace_size(x.shape, (3, 2, 4, 4), stride=2, padding=1)
    ws = np.empty(size, np.float32)
    fresh_w, fresh_b = ops.conv2d_backward_weight(g, x, 4, stride=2, padding=1, workspace=ws)
    dw, db = np.ones_like(fresh_w), np.ones_like(fresh_b)
    ops.conv2d_backward_weight(g, x, 4, stride=2, padding=1, grad_weight=dw, grad_bias=db, workspace=ws)
    np.testing.assert_allclose(dw, fresh_w + 1, rtol=1e-6)
    np.testing.assert_allclose(db, fresh_b + 1, rtol=1e-6)
    with pytest.raises(ValueError, match="'workspace' has 3 floats, needs"):
        ops.conv2d_backward_weight(g, x, 4, stride=2, padding=1, workspace=np.empty(3, np.float32))


def test_large_batch_is_chunked_and_identical_with_one_and_two_threads(rng, with_threads):
    x = rng.standard_normal((128, 64, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((128, 64, 4, 4)) * 0.05).astype(np.float32)
    g = rng.standard_normal((128, 128, 7, 7)).astype(np.float32)
    results = []
    for n in (1, 2):
        y = with_threads(n, ops.conv2d_forward, x, w, stride=2, padding=1)
        dx = with_threads(n, ops.conv2d_backward_input, g, w, x.shape, stride=2, padding=1)
        dw, db = with_threads(n, ops.conv2d_backward_weight, g, x, 4, stride=2, padding=1)
        results.append((y, dx, dw, db))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(results[0][0][5], ref_conv2d(x[5:6].astype(np.float64), w, None, (2, 2), (1, 1))[0],
                               rtol=1e-3, atol=1e-3)


def test_workspace_for_fewer_threads_gives_the_same_bits(rng, with_threads):
    # a workspace sized for one thread, used while two are set: the kernels
    # run on as many threads as it has room for, with unchanged results
    x = rng.standard_normal((40, 32, 14, 14)).astype(np.float32)
    w = (rng.standard_normal((64, 32, 4, 4)) * 0.05).astype(np.float32)
    one = ops.conv2d_workspace_size(x.shape, w.shape, stride=2, padding=1, threads=1)
    two = ops.conv2d_workspace_size(x.shape, w.shape, stride=2, padding=1, threads=2)
    assert one < two
    small = np.empty(one, np.float32)
    want = with_threads(1, ops.conv2d_forward, x, w, stride=2, padding=1)
    got = with_threads(2, ops.conv2d_forward, x, w, stride=2, padding=1, workspace=small)
    np.testing.assert_array_equal(got, want)
    g = rng.standard_normal(want.shape).astype(np.float32)
    want_dx = with_threads(1, ops.conv2d_backward_input, g, w, x.shape, stride=2, padding=1)
    got_dx = with_threads(2, ops.conv2d_backward_input, g, w, x.shape, stride=2, padding=1, workspace=small)
    np.testing.assert_array_equal(got_dx, want_dx)
    with pytest.raises(ValueError, match="'threads' must be a positive integer"):
        ops.conv2d_workspace_size(x.shape, w.shape, threads=0)


def test_bad_input(rng):
    x = np.zeros((2, 3, 8, 8), np.float32)
    w = np.zeros((4, 3, 3, 3), np.float32)
    with pytest.raises(ValueError, match="'weight' has 2 input channels, expected 3"):
        ops.conv2d_forward(x, np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match="does not fit the padded input"):
        ops.conv2d_forward(x, np.zeros((4, 3, 9, 9)))
    with pytest.raises(ValueError, match="'stride' must be an int >= 1"):
        ops.conv2d_forward(x, w, stride=0)
    with pytest.raises(ValueError, match="'padding' must be an int >= 0"):
        ops.conv2d_forward(x, w, padding=-1)
    with pytest.raises(ValueError, match=r"'x' must be \(N, C, H, W\)"):
        ops.conv2d_forward(np.zeros((3, 8, 8)), w)
    with pytest.raises(ValueError, match="'output_padding' must be smaller than the stride"):
        ops.conv_transpose2d_forward(x, np.zeros((3, 2, 4, 4)), stride=2, output_padding=2)
    with pytest.raises(ValueError, match=r"'grad_out' has shape"):
        ops.conv2d_backward_input(np.zeros((2, 4, 5, 5)), w, x.shape)
    with pytest.raises(ValueError, match=r"'out' has shape"):
        ops.conv2d_forward(x, w, out=np.zeros((2, 4, 7, 7), np.float32))
    with pytest.raises(TypeError, match="'x' must have dtype float32"):
        from genmodels import _core
        _core.conv2d_forward(x.astype(np.float64), w, None, np.zeros((2, 4, 6, 6), np.float32), 1, 1, 0, 0, None)


def test_zero_size_batch():
    y = ops.conv2d_forward(np.zeros((0, 1, 5, 5)), np.ones((2, 1, 3, 3)))
    assert y.shape == (0, 2, 3, 3)
    dw, db = ops.conv2d_backward_weight(np.zeros((0, 2, 3, 3)), np.zeros((0, 1, 5, 5)), 3)
    np.testing.assert_array_equal(dw, 0)


def test_transposed_weight_gradients_accumulate(rng):
    x = rng.standard_normal((3, 4, 3, 5)).astype(np.float32)
    g = rng.standard_normal((3, 2, 6, 10)).astype(np.float32)
    fresh_w, fresh_b = ops.conv_transpose2d_backward_weight(g, x, 4, stride=2, padding=1)
    dw, db = np.full_like(fresh_w, 2.0), np.full_like(fresh_b, -1.0)
    ops.conv_transpose2d_backward_weight(g, x, 4, stride=2, padding=1, grad_weight=dw, grad_bias=db)
    np.testing.assert_allclose(dw, fresh_w + 2, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(db, fresh_b - 1, rtol=1e-6, atol=1e-6)
    dw_only, none = ops.conv_transpose2d_backward_weight(g, x, 4, stride=2, padding=1, compute_bias=False)
    assert none is None
    np.testing.assert_array_equal(dw_only, fresh_w)


def test_every_kernel_identical_with_one_and_two_threads(rng, with_threads):
    """Odd shapes whose batch spans several chunks on neither or both counts."""
    x = rng.standard_normal((5, 3, 11, 9)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 5)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    g = rng.standard_normal((5, 4, 6, 5)).astype(np.float32)
    wt = rng.standard_normal((3, 2, 4, 3)).astype(np.float32)
    xt = rng.standard_normal((5, 3, 4, 6)).astype(np.float32)
    gt = rng.standard_normal((5, 2, 11, 12)).astype(np.float32)

    def run():
        return (ops.conv2d_forward(x, w, b, stride=2, padding=(1, 2)),
                ops.conv2d_backward_input(g, w, x.shape, stride=2, padding=(1, 2)),
                *ops.conv2d_backward_weight(g, x, (3, 5), stride=2, padding=(1, 2)),
                ops.conv_transpose2d_forward(xt, wt, b[:2], stride=2, padding=(0, 1), output_padding=1),
                ops.conv_transpose2d_backward_input(gt, wt, xt.shape, stride=2, padding=(0, 1)),
                *ops.conv_transpose2d_backward_weight(gt, xt, (4, 3), stride=2, padding=(0, 1)))

    one, two = with_threads(1, run), with_threads(2, run)
    assert one[4].shape == gt.shape
    for a, b_ in zip(one, two):
        np.testing.assert_array_equal(a, b_)


def test_workspace_is_optional_and_shared_by_transposed_conv(rng):
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    size = ops.conv_transpose2d_workspace_size(x.shape, w.shape, stride=2, padding=1)
    ws = np.full(size, np.nan, np.float32)   # stale contents must not leak
    got = ops.conv_transpose2d_forward(x, w, stride=2, padding=1, workspace=ws)
    np.testing.assert_array_equal(got, ops.conv_transpose2d_forward(x, w, stride=2, padding=1))
    with pytest.raises(ValueError, match="'workspace' has"):
        ops.conv_transpose2d_forward(x, w, stride=2, padding=1, workspace=np.empty(1, np.float32))


def test_bad_buffers_and_arguments(rng):
    x = np.zeros((2, 3, 8, 8), np.float32)
    w = np.zeros((4, 3, 3, 3), np.float32)
    out = np.zeros((2, 4, 6, 6), np.float64)
    with pytest.raises(TypeError, match="'out' must have dtype float32"):
        ops.conv2d_forward(x, w, out=out)
    strided = np.zeros((2, 4, 6, 12), np.float32)[..., ::2]
    with pytest.raises(ValueError, match="'out' must be C-contiguous"):
        ops.conv2d_forward(x, w, out=strided)
    with pytest.raises(ValueError, match="'grad_weight' has shape"):
        ops.conv2d_backward_weight(np.zeros((2, 4, 6, 6)), x, 3, grad_weight=np.zeros((4, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match="'padding' must be an int >= 0"):
        ops.conv_transpose2d_forward(x, np.zeros((3, 2, 3, 3)), padding=(0, -2))
    with pytest.raises(ValueError, match="'stride' must be an int >= 1"):
        ops.conv2d_backward_weight(np.zeros((2, 4, 6, 6)), x, 3, stride=(1, 0))
    with pytest.raises(TypeError, match="'stride' must be an int or a pair"):
        ops.conv2d_forward(x, w, stride=1.5)
    with pytest.raises(ValueError, match="'input_shape' must be"):
        ops.conv2d_backward_input(np.zeros((2, 4, 6, 6)), w, (2, 3, 8))
    with pytest.raises(ValueError, match="leaves no output"):
        ops.conv_transpose2d_forward(np.zeros((1, 3, 1, 1)), np.zeros((3, 2, 2, 2)), padding=1)
    with pytest.raises(ValueError, match="'grad_out' has shape"):
        ops.conv_transpose2d_backward_input(np.zeros((2, 2, 5, 5)), np.zeros((3, 2, 4, 4)), x.shape, stride=2,
                                            padding=1)
    with pytest.raises(ValueError, match="'grad_out' has shape"):
        ops.conv_transpose2d_backward_weight(np.zeros((2, 2, 16, 19)), x, 4, stride=2, padding=1)
    with pytest.raises(TypeError, match="'x' must be an array of numbers"):
        ops.conv2d_forward([["a"]], w)


def test_core_rejects_what_the_wrapper_would_convert():
    from genmodels import _core
    x = np.zeros((2, 3, 8, 16), np.float32)[..., ::2]
    w = np.zeros((4, 3, 3, 3), np.float32)
    out = np.zeros((2, 4, 6, 6), np.float32)
    with pytest.raises(ValueError, match="'x' must be C-contiguous"):
        _core.conv2d_forward(x, w, None, out, 1, 1, 0, 0, None)
    with pytest.raises(ValueError, match="'workspace'"):
        _core.conv2d_forward(np.ascontiguousarray(x), w, None, out, 1, 1, 0, 0, np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="'weight'"):
        _core.conv2d_forward(np.ascontiguousarray(x), np.zeros((4, 2, 3, 3), np.float32), None, out,
                             1, 1, 0, 0, None)
    with pytest.raises(ValueError):
        _core.conv2d_forward(np.ascontiguousarray(x), w, None, out, 0, 1, 0, 0, None)


def test_zero_size_batch_of_transposed_conv():
    y = ops.conv_transpose2d_forward(np.zeros((0, 2, 3, 3)), np.ones((2, 1, 4, 4)), stride=2, padding=1)
    assert y.shape == (0, 1, 6, 6)
    dw, db = ops.conv_transpose2d_backward_weight(np.zeros((0, 1, 6, 6)), np.zeros((0, 2, 3, 3)), 4,
                                                  stride=2, padding=1)
    np.testing.assert_array_equal(dw, 0)
    np.testing.assert_array_equal(db, 0)


def test_weight_gradient_over_many_chunks_is_the_sum_over_images(rng):
    """A batch too big for one workspace chunk gives the per-image sum."""
    x = rng.standard_normal((40, 16, 17, 16)).astype(np.float32)
    g = rng.standard_normal((40, 6, 18, 15)).astype(np.float32)
    kw = dict(stride=1, padding=(2, 1))
    per_image = ops.conv2d_workspace_size(x[:1].shape, (6, 16, 4, 4), **kw)
    assert ops.conv2d_workspace_size(x.shape, (6, 16, 4, 4), **kw) < 40 * per_image
    dw, db = ops.conv2d_backward_weight(g, x, 4, **kw)
    want_w, want_b = np.zeros_like(dw), np.zeros_like(db)
    for i in range(len(x)):
        ops.conv2d_backward_weight(g[i:i + 1], x[i:i + 1], 4, grad_weight=want_w, grad_bias=want_b, **kw)
    np.testing.assert_allclose(dw, want_w, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(db, want_b, rtol=1e-4, atol=1e-3)
    dx = ops.conv2d_backward_input(g, np.ones((6, 16, 4, 4), np.float32), x.shape, **kw)
    one = ops.conv2d_backward_input(g[39:], np.ones((6, 16, 4, 4), np.float32), x[39:].shape, **kw)
    np.testing.assert_allclose(dx[39:], one, rtol=1e-5, atol=1e-5)
