/* bind_losses.c - losses with gradients. Inputs are (N, ...) arrays viewed
 * as (N, D); gradient buffers are optional (None skips them). */
#include "bind_util.h"

#define F32 NPY_FLOAT32

typedef struct {
    PyArrayObject *a, *b;      /* the two (N, ...) inputs, same shape */
    float *loss;               /* (N,) */
    float *grad;               /* like a, or NULL */
    size_t n, d;
} pair_args;

/* Checks (a, b, loss, grad) for the losses of two same-shaped inputs. */
static int check_pair(pair_args *p, PyObject *a_obj, PyObject *b_obj,
                      PyObject *loss_obj, PyObject *grad_obj, const char *fn,
                      const char *a_name, const char *b_name)
{
    p->a = gm_arg_array(a_obj, fn, a_name, F32, 1, 32);
    p->b = p->a ? gm_arg_array(b_obj, fn, b_name, F32, 1, 32) : NULL;
    if (!p->b || gm_arg_same_shape(p->b, p->a, fn, b_name))
        return -1;
    npy_intp n = PyArray_DIM(p->a, 0);
    PyArrayObject *loss = gm_arg_array(loss_obj, fn, "losses", F32, 1, 1);
    if (!loss || gm_arg_shape(loss, fn, "losses", 1, &n) ||
        gm_arg_writeable(loss, fn, "losses"))
        return -1;
    PyArrayObject *grad = gm_arg_optional_array(grad_obj, fn, "grad", F32, 1, 32);
    if (PyErr_Occurred() ||
        (grad && (gm_arg_same_shape(grad, p->a, fn, "grad") ||
                  gm_arg_writeable(grad, fn, "grad") ||
                  gm_arg_no_overlap(grad, p->b, fn, "grad", b_name) ||
                  gm_arg_no_overlap(grad, loss, fn, "grad", "losses"))))
        return -1;
    p->loss = PyArray_DATA(loss);
    p->grad = grad ? PyArray_DATA(grad) : NULL;
    p->n = (size_t)n;
    p->d = gm_dims_product(p->a, 1);
    return 0;
}

/* bce_with_logits(logits, targets, losses, grad_or_None, scale) */
static PyObject *py_bce_with_logits(PyObject *self, PyObject *args)
{
    const char *fn = "bce_with_logits";
    PyObject *a, *b, *l, *g;
    float scale;
    pair_args p;
    if (!PyArg_ParseTuple(args, "OOOOf", &a, &b, &l, &g, &scale) ||
        check_pair(&p, a, b, l, g, fn, "logits", "targets"))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_bce_with_logits(p.loss, p.grad, PyArray_DATA(p.a), PyArray_DATA(p.b),
                           p.n, p.d, scale);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* mse(pred, target, losses, grad_or_None, scale) */
static PyObject *py_mse(PyObject *self, PyObject *args)
{
    const char *fn = "mse";
    PyObject *a, *b, *l, *g;
    float scale;
    pair_args p;
    if (!PyArg_ParseTuple(args, "OOOOf", &a, &b, &l, &g, &scale) ||
        check_pair(&p, a, b, l, g, fn, "pred", "target"))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_mse(p.loss, p.grad, PyArray_DATA(p.a), PyArray_DATA(p.b), p.n, p.d, scale);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* gaussian_kl(mu, logvar, losses, grad_mu_or_None, grad_logvar_or_None, scale) */
static PyObject *py_gaussian_kl(PyObject *self, PyObject *args)
{
    const char *fn = "gaussian_kl";
    PyObject *a, *b, *l, *gm_obj, *gl_obj;
    float scale;
    pair_args p;
    if (!PyArg_ParseTuple(args, "OOOOOf", &a, &b, &l, &gm_obj, &gl_obj, &scale) ||
        check_pair(&p, a, b, l, gm_obj, fn, "mu", "logvar"))
        return NULL;
    PyArrayObject *gl = gm_arg_optional_array(gl_obj, fn, "grad_logvar", F32, 1, 32);
    if (PyErr_Occurred() ||
        (gl && (gm_arg_same_shape(gl, p.a, fn, "grad_logvar") ||
                gm_arg_writeable(gl, fn, "grad_logvar"))))
        return NULL;
    if (!p.grad != !gl) {
        PyErr_Format(PyExc_ValueError, "%s: pass both 'grad_mu' and 'grad_logvar' or neither", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_gaussian_kl(p.loss, p.grad, gl ? PyArray_DATA(gl) : NULL,
                       PyArray_DATA(p.a), PyArray_DATA(p.b), p.n, p.d, scale);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* gaussian_nll(mean, target, logvar, layout, losses, grad_mean_or_None,
 *              grad_logvar_or_None, scale) */
static PyObject *py_gaussian_nll(PyObject *self, PyObject *args)
{
    const char *fn = "gaussian_nll";
    PyObject *a, *b, *lv_obj, *l, *gmean_obj, *glv_obj;
    int layout;
    float scale;
    pair_args p;
    if (!PyArg_ParseTuple(args, "OOOiOOOf", &a, &b, &lv_obj, &layout, &l,
                          &gmean_obj, &glv_obj, &scale) ||
        check_pair(&p, a, b, l, gmean_obj, fn, "pred_mean", "target"))
        return NULL;
    PyArrayObject *lv = gm_arg_array(lv_obj, fn, "logvar", F32, 1, 32);
    if (!lv)
        return NULL;
    npy_intp want = layout == GM_LOGVAR_PER_FEATURE ? (npy_intp)p.d : 1;
    if (layout == GM_LOGVAR_FULL) {
        if (gm_arg_same_shape(lv, p.a, fn, "logvar"))
            return NULL;
    } else if (layout == GM_LOGVAR_PER_FEATURE || layout == GM_LOGVAR_SCALAR) {
        if (PyArray_SIZE(lv) != want) {
            PyErr_Format(PyExc_ValueError, "%s: 'logvar' has %zd values, expected %zd",
                         fn, (Py_ssize_t)PyArray_SIZE(lv), (Py_ssize_t)want);
            return NULL;
        }
    } else {
        PyErr_Format(PyExc_ValueError, "%s: unknown logvar layout %d", fn, layout);
        return NULL;
    }
    PyArrayObject *glv = gm_arg_optional_array(glv_obj, fn, "grad_logvar", F32, 1, 32);
    if (PyErr_Occurred() ||
        (glv && (gm_arg_same_shape(glv, lv, fn, "grad_logvar") ||
                 gm_arg_writeable(glv, fn, "grad_logvar"))))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_gaussian_nll(p.loss, p.grad, glv ? PyArray_DATA(glv) : NULL,
                        PyArray_DATA(p.a), PyArray_DATA(p.b), PyArray_DATA(lv),
                        (gm_logvar_layout)layout, p.n, p.d, scale);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* softmax_cross_entropy(logits, labels, losses, grad_or_None, scale) */
static PyObject *py_softmax_cross_entropy(PyObject *self, PyObject *args)
{
    const char *fn = "softmax_cross_entropy";
    PyObject *x_obj, *y_obj, *l_obj, *g_obj;
    float scale;
    if (!PyArg_ParseTuple(args, "OOOOf", &x_obj, &y_obj, &l_obj, &g_obj, &scale))
        return NULL;
    PyArrayObject *x = gm_arg_array(x_obj, fn, "logits", F32, 2, 2);
    PyArrayObject *y = x ? gm_arg_array(y_obj, fn, "labels", NPY_INT64, 1, 1) : NULL;
    PyArrayObject *loss = y ? gm_arg_array(l_obj, fn, "losses", F32, 1, 1) : NULL;
    if (!loss)
        return NULL;
    npy_intp n = PyArray_DIM(x, 0), k = PyArray_DIM(x, 1);
    if (gm_arg_shape(y, fn, "labels", 1, &n) || gm_arg_shape(loss, fn, "losses", 1, &n) ||
        gm_arg_writeable(loss, fn, "losses"))
        return NULL;
    if (n > 0 && k == 0) {
        PyErr_Format(PyExc_ValueError, "%s: 'logits' needs at least one class", fn);
        return NULL;
    }
    const int64_t *labels = PyArray_DATA(y);
    for (npy_intp i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= k) {
            PyErr_Format(PyExc_ValueError,
                         "%s: 'labels' must be in [0, %zd), got %lld at index %zd",
                         fn, (Py_ssize_t)k, (long long)labels[i], (Py_ssize_t)i);
            return NULL;
        }
    PyArrayObject *grad = gm_arg_optional_array(g_obj, fn, "grad", F32, 2, 2);
    if (PyErr_Occurred() ||
        (grad && (gm_arg_same_shape(grad, x, fn, "grad") || gm_arg_writeable(grad, fn, "grad"))))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_softmax_cross_entropy(PyArray_DATA(loss), grad ? PyArray_DATA(grad) : NULL,
                                 PyArray_DATA(x), labels, (size_t)n, (size_t)k, scale);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

PyMethodDef gm_losses_methods[] = {
    {"bce_with_logits", py_bce_with_logits, METH_VARARGS,
     "bce_with_logits(logits, targets, losses, grad, scale)"},
    {"mse", py_mse, METH_VARARGS, "mse(pred, target, losses, grad, scale)"},
    {"gaussian_kl", py_gaussian_kl, METH_VARARGS,
     "gaussian_kl(mu, logvar, losses, grad_mu, grad_logvar, scale)"},
    {"gaussian_nll", py_gaussian_nll, METH_VARARGS,
     "gaussian_nll(mean, target, logvar, layout, losses, grad_mean, grad_logvar, scale)"},
    {"softmax_cross_entropy", py_softmax_cross_entropy, METH_VARARGS,
     "softmax_cross_entropy(logits, labels, losses, grad, scale)"},
    {NULL, NULL, 0, NULL},
};
