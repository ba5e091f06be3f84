/* bind_optim.c - fused optimiser updates, in place. */
#include "bind_util.h"

#define F32 NPY_FLOAT32

/* A state or gradient array shaped like param, not overlapping it. */
static float *like_param(PyObject *obj, PyArrayObject *param, const char *fn,
                         const char *name, int writeable)
{
    PyArrayObject *a = gm_arg_array(obj, fn, name, F32, 0, 32);
    if (!a || gm_arg_same_shape(a, param, fn, name) ||
        (writeable && gm_arg_writeable(a, fn, name)) ||
        gm_arg_no_overlap(param, a, fn, "param", name))
        return NULL;
    return PyArray_DATA(a);
}

/* sgd_step(param, grad, velocity_or_None, lr, momentum, dampening,
 *          weight_decay, nesterov, first_step) */
static PyObject *py_sgd_step(PyObject *self, PyObject *args)
{
    const char *fn = "sgd_step";
    PyObject *p_obj, *g_obj, *v_obj;
    float lr, momentum, dampening, wd;
    int nesterov, first;
    if (!PyArg_ParseTuple(args, "OOOffffpp", &p_obj, &g_obj, &v_obj, &lr,
                          &momentum, &dampening, &wd, &nesterov, &first))
        return NULL;
    PyArrayObject *param = gm_arg_array(p_obj, fn, "param", F32, 0, 32);
    if (!param || gm_arg_writeable(param, fn, "param"))
        return NULL;
    float *grad = like_param(g_obj, param, fn, "grad", 0), *velocity = NULL;
    if (!grad)
        return NULL;
    if (v_obj != Py_None && !(velocity = like_param(v_obj, param, fn, "velocity", 1)))
        return NULL;
    if (momentum != 0.0f && !velocity) {
        PyErr_Format(PyExc_ValueError, "%s: 'velocity' is needed when momentum != 0", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_sgd_step(PyArray_DATA(param), grad, velocity, (size_t)PyArray_SIZE(param),
                    lr, momentum, dampening, wd, nesterov, first);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* adam_step(param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay,
 *           decoupled) */
static PyObject *py_adam_step(PyObject *self, PyObject *args)
{
    const char *fn = "adam_step";
    PyObject *p_obj, *g_obj, *m_obj, *v_obj;
    long long step;
    float lr, b1, b2, eps, wd;
    int decoupled;
    if (!PyArg_ParseTuple(args, "OOOOLfffffp", &p_obj, &g_obj, &m_obj, &v_obj,
                          &step, &lr, &b1, &b2, &eps, &wd, &decoupled))
        return NULL;
    PyArrayObject *param = gm_arg_array(p_obj, fn, "param", F32, 0, 32);
    if (!param || gm_arg_writeable(param, fn, "param"))
        return NULL;
    float *grad, *m, *v;
    if (!(grad = like_param(g_obj, param, fn, "grad", 0)) ||
        !(m = like_param(m_obj, param, fn, "m", 1)) ||
        !(v = like_param(v_obj, param, fn, "v", 1)))
        return NULL;
    if (m == v) {
        PyErr_Format(PyExc_ValueError, "%s: 'm' and 'v' must be different arrays", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_adam_step(PyArray_DATA(param), grad, m, v, (size_t)PyArray_SIZE(param),
                     (int64_t)step, lr, b1, b2, eps, wd, decoupled);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

PyMethodDef gm_optim_methods[] = {
    {"sgd_step", py_sgd_step, METH_VARARGS,
     "sgd_step(param, grad, velocity, lr, momentum, dampening, weight_decay, "
     "nesterov, first_step)"},
    {"adam_step", py_adam_step, METH_VARARGS,
     "adam_step(param, grad, m, v, step, lr, beta1, beta2, eps, weight_decay, "
     "decoupled)"},
    {NULL, NULL, 0, NULL},
};
