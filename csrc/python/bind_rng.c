/* bind_rng.c - random fills addressed by (seed, stream, offset). */
#include "bind_util.h"

#define F32 NPY_FLOAT32

static PyArrayObject *output(PyObject *obj, const char *fn)
{
    PyArrayObject *out = gm_arg_array(obj, fn, "out", F32, 0, 32);
    if (!out || gm_arg_writeable(out, fn, "out"))
        return NULL;
    return out;
}

/* uniform(out, seed, stream, offset, low, high) */
static PyObject *py_uniform(PyObject *self, PyObject *args)
{
    PyObject *o;
    unsigned long long seed, stream, offset;
    float low, high;
    if (!PyArg_ParseTuple(args, "OKKKff", &o, &seed, &stream, &offset, &low, &high))
        return NULL;
    PyArrayObject *out = output(o, "uniform");
    if (!out)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_uniform(PyArray_DATA(out), (size_t)PyArray_SIZE(out), seed, stream,
                       offset, low, high);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, "uniform");
    Py_RETURN_NONE;
}

/* normal(out, seed, stream, offset, mean, std) */
static PyObject *py_normal(PyObject *self, PyObject *args)
{
    PyObject *o;
    unsigned long long seed, stream, offset;
    float mean, std;
    if (!PyArg_ParseTuple(args, "OKKKff", &o, &seed, &stream, &offset, &mean, &std))
        return NULL;
    PyArrayObject *out = output(o, "normal");
    if (!out)
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_normal(PyArray_DATA(out), (size_t)PyArray_SIZE(out), seed, stream,
                      offset, mean, std);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, "normal");
    Py_RETURN_NONE;
}

/* bernoulli(out, p_array_or_None, p_scalar, seed, stream, offset) */
static PyObject *py_bernoulli(PyObject *self, PyObject *args)
{
    const char *fn = "bernoulli";
    PyObject *o, *p_obj;
    float p_scalar;
    unsigned long long seed, stream, offset;
    if (!PyArg_ParseTuple(args, "OOfKKK", &o, &p_obj, &p_scalar, &seed, &stream, &offset))
        return NULL;
    PyArrayObject *out = output(o, fn);
    if (!out)
        return NULL;
    PyArrayObject *p = gm_arg_optional_array(p_obj, fn, "p", F32, 0, 32);
    if (PyErr_Occurred() || (p && gm_arg_same_shape(p, out, fn, "p")))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_bernoulli(PyArray_DATA(out), (size_t)PyArray_SIZE(out),
                         p ? PyArray_DATA(p) : NULL, p_scalar, seed, stream, offset);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_ARG) {
        PyErr_Format(PyExc_ValueError, "%s: 'p' must be in [0, 1] (and not NaN)", fn);
        return NULL;
    }
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* permutation(out_int64, seed, stream, offset) */
static PyObject *py_permutation(PyObject *self, PyObject *args)
{
    PyObject *o;
    unsigned long long seed, stream, offset;
    if (!PyArg_ParseTuple(args, "OKKK", &o, &seed, &stream, &offset))
        return NULL;
    PyArrayObject *out = gm_arg_array(o, "permutation", "out", NPY_INT64, 1, 1);
    if (!out || gm_arg_writeable(out, "permutation", "out"))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_permutation(PyArray_DATA(out), (size_t)PyArray_SIZE(out), seed, stream, offset);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, "permutation");
    Py_RETURN_NONE;
}

/* all_finite(x) -> bool */
static PyObject *py_all_finite(PyObject *self, PyObject *arg)
{
    PyArrayObject *x = gm_arg_array(arg, "all_finite", "x", F32, 0, 32);
    if (!x)
        return NULL;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = gm_all_finite(PyArray_DATA(x), (size_t)PyArray_SIZE(x));
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(ok);
}

PyMethodDef gm_rng_methods[] = {
    {"uniform", py_uniform, METH_VARARGS, "uniform(out, seed, stream, offset, low, high)"},
    {"normal", py_normal, METH_VARARGS, "normal(out, seed, stream, offset, mean, std)"},
    {"bernoulli", py_bernoulli, METH_VARARGS,
     "bernoulli(out, p_or_None, p_scalar, seed, stream, offset)"},
    {"permutation", py_permutation, METH_VARARGS, "permutation(out, seed, stream, offset)"},
    {"all_finite", py_all_finite, METH_O, "all_finite(x) -> bool"},
    {NULL, NULL, 0, NULL},
};
