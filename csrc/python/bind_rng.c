/* bind_rng.c - random fills addressed by (seed, stream, offset), and the
 * NaN/Inf scan:
 *   uniform(out, seed, stream, offset, low, high)
 *   normal(out, seed, stream, offset, mean, std)
 *   bernoulli(out, p_or_None, p_scalar, seed, stream, offset)
 *   permutation(out_int64, seed, stream, offset)
 *   all_finite(x) -> bool
 *   _rng_u32(out_uint32, seed, stream, offset)   raw values, for tests
 * Every fill writes all of `out` from positions offset .. offset+size-1. */
#include "bind_util.h"

#include <math.h>

#define F32 NPY_FLOAT32

typedef struct {
    uint64_t seed, stream, offset;
} address;

/* An int in [0, 2^64) named `name`. */
static int arg_u64(PyObject *obj, const char *fn, const char *name, uint64_t *out)
{
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "%s: '%s' must be an int, got %s", fn, name,
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    unsigned long long v = PyLong_AsUnsignedLongLong(obj);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s: '%s' must be in [0, 2**64), got %R",
                     fn, name, obj);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* seed, stream and offset, with room for n positions after offset. */
static int arg_address(PyObject *seed, PyObject *stream, PyObject *offset,
                       size_t n, const char *fn, address *a)
{
    if (arg_u64(seed, fn, "seed", &a->seed) ||
        arg_u64(stream, fn, "stream", &a->stream) ||
        arg_u64(offset, fn, "offset", &a->offset))
        return -1;
    if (n && (uint64_t)(n - 1) > UINT64_MAX - a->offset) {
        PyErr_Format(PyExc_ValueError,
                     "%s: positions offset .. offset + %zu - 1 pass 2**64", fn, n);
        return -1;
    }
    return 0;
}

/* A writeable C-contiguous output of `dtype`. */
static PyArrayObject *arg_out(PyObject *obj, const char *fn, int dtype,
                              int ndim_min, int ndim_max)
{
    PyArrayObject *out = gm_arg_array(obj, fn, "out", dtype, ndim_min, ndim_max);
    if (!out || gm_arg_writeable(out, fn, "out"))
        return NULL;
    return out;
}

/* A float32 value (after rounding) that is finite. */
static int arg_finite_f32(double value, const char *fn, const char *name, float *out)
{
    *out = (float)value;
    if (isfinite(*out))
        return 0;
    char *text = PyOS_double_to_string(value, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    PyErr_Format(PyExc_ValueError, "%s: '%s' must be finite in float32, got %s", fn,
                 name, text ? text : "?");
    PyMem_Free(text);
    return -1;
}

static PyObject *py_uniform(PyObject *self, PyObject *args)
{
    const char *fn = "uniform";
    PyObject *o, *seed, *stream, *offset;
    double low_d, high_d;
    if (!PyArg_ParseTuple(args, "OOOOdd", &o, &seed, &stream, &offset, &low_d, &high_d))
        return NULL;
    PyArrayObject *out = arg_out(o, fn, F32, 0, NPY_MAXDIMS);
    address a;
    float low, high;
    if (!out || arg_address(seed, stream, offset, (size_t)PyArray_SIZE(out), fn, &a) ||
        arg_finite_f32(low_d, fn, "low", &low) || arg_finite_f32(high_d, fn, "high", &high))
        return NULL;
    if (!(low <= high)) {
        PyErr_Format(PyExc_ValueError, "%s: 'low' must be <= 'high'", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_uniform(PyArray_DATA(out), (size_t)PyArray_SIZE(out), a.seed,
                       a.stream, a.offset, low, high);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

static PyObject *py_normal(PyObject *self, PyObject *args)
{
    const char *fn = "normal";
    PyObject *o, *seed, *stream, *offset;
    double mean_d, std_d;
    if (!PyArg_ParseTuple(args, "OOOOdd", &o, &seed, &stream, &offset, &mean_d, &std_d))
        return NULL;
    PyArrayObject *out = arg_out(o, fn, F32, 0, NPY_MAXDIMS);
    address a;
    float mean, std;
    if (!out || arg_address(seed, stream, offset, (size_t)PyArray_SIZE(out), fn, &a) ||
        arg_finite_f32(mean_d, fn, "mean", &mean) || arg_finite_f32(std_d, fn, "std", &std))
        return NULL;
    if (!(std >= 0.0f)) {
        PyErr_Format(PyExc_ValueError, "%s: 'std' must be >= 0", fn);
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_normal(PyArray_DATA(out), (size_t)PyArray_SIZE(out), a.seed,
                      a.stream, a.offset, mean, std);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

/* ValueError naming the first probability outside [0, 1]. */
static PyObject *bad_probability(PyArrayObject *p, const char *fn)
{
    const float *v = PyArray_DATA(p);
    npy_intp n = PyArray_SIZE(p), i = 0;
    while (i < n && v[i] >= 0.0f && v[i] <= 1.0f)
        i++;
    char *text = PyOS_double_to_string(i < n ? v[i] : 0.0, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    PyErr_Format(PyExc_ValueError,
                 "%s: 'p' must be in [0, 1], got %s at flat index %zd", fn,
                 text ? text : "?", (Py_ssize_t)i);
    PyMem_Free(text);
    return NULL;
}

static PyObject *py_bernoulli(PyObject *self, PyObject *args)
{
    const char *fn = "bernoulli";
    PyObject *o, *p_obj, *seed, *stream, *offset;
    double p_scalar;
    if (!PyArg_ParseTuple(args, "OOdOOO", &o, &p_obj, &p_scalar, &seed, &stream, &offset))
        return NULL;
    PyArrayObject *out = arg_out(o, fn, F32, 0, NPY_MAXDIMS);
    if (!out)
        return NULL;
    PyArrayObject *p = gm_arg_optional_array(p_obj, fn, "p", F32, 0, NPY_MAXDIMS);
    if (PyErr_Occurred() || (p && (gm_arg_same_shape(p, out, fn, "p") ||
                                   gm_arg_no_overlap(out, p, fn, "out", "p"))))
        return NULL;
    if (!p && !(p_scalar >= 0.0 && p_scalar <= 1.0)) {
        char *text = PyOS_double_to_string(p_scalar, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        PyErr_Format(PyExc_ValueError, "%s: 'p' must be in [0, 1], got %s", fn,
                     text ? text : "?");
        PyMem_Free(text);
        return NULL;
    }
    address a;
    if (arg_address(seed, stream, offset, (size_t)PyArray_SIZE(out), fn, &a))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_bernoulli(PyArray_DATA(out), (size_t)PyArray_SIZE(out),
                         p ? PyArray_DATA(p) : NULL, (float)p_scalar, a.seed,
                         a.stream, a.offset);
    Py_END_ALLOW_THREADS
    if (s == GM_ERR_ARG && p)
        return bad_probability(p, fn);
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

static PyObject *py_permutation(PyObject *self, PyObject *args)
{
    const char *fn = "permutation";
    PyObject *o, *seed, *stream, *offset;
    if (!PyArg_ParseTuple(args, "OOOO", &o, &seed, &stream, &offset))
        return NULL;
    PyArrayObject *out = arg_out(o, fn, NPY_INT64, 1, 1);
    address a;
    if (!out || arg_address(seed, stream, offset, (size_t)PyArray_SIZE(out), fn, &a))
        return NULL;
    const uint64_t limit = UINT64_C(1) << 63;
    if (a.offset > limit || (uint64_t)PyArray_SIZE(out) > limit - a.offset) {
        PyErr_Format(PyExc_ValueError,
                     "%s: 'offset' + n must be <= 2**63 (each swap takes two "
                     "positions), got offset=%R, n=%zd", fn, offset,
                     (Py_ssize_t)PyArray_SIZE(out));
        return NULL;
    }
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_rng_permutation(PyArray_DATA(out), (size_t)PyArray_SIZE(out), a.seed,
                           a.stream, a.offset);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, fn);
    Py_RETURN_NONE;
}

static PyObject *py_rng_u32(PyObject *self, PyObject *args)
{
    const char *fn = "_rng_u32";
    PyObject *o, *seed, *stream, *offset;
    if (!PyArg_ParseTuple(args, "OOOO", &o, &seed, &stream, &offset))
        return NULL;
    PyArrayObject *out = arg_out(o, fn, NPY_UINT32, 0, NPY_MAXDIMS);
    address a;
    if (!out || arg_address(seed, stream, offset, (size_t)PyArray_SIZE(out), fn, &a))
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    gm_rng_u32_span(PyArray_DATA(out), (size_t)PyArray_SIZE(out), a.seed, a.stream,
                    a.offset);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *py_all_finite(PyObject *self, PyObject *arg)
{
    PyArrayObject *x = gm_arg_array(arg, "all_finite", "x", F32, 0, NPY_MAXDIMS);
    if (!x)
        return NULL;
    int ok;
    Py_BEGIN_ALLOW_THREADS
    ok = gm_all_finite(PyArray_DATA(x), (size_t)PyArray_SIZE(x));
    Py_END_ALLOW_THREADS
    return PyBool_FromLong(ok);
}

PyMethodDef gm_rng_methods[] = {
    {"uniform", py_uniform, METH_VARARGS,
     "uniform(out, seed, stream, offset, low, high)\nFill out with U[low, high)."},
    {"normal", py_normal, METH_VARARGS,
     "normal(out, seed, stream, offset, mean, std)\nFill out with N(mean, std^2)."},
    {"bernoulli", py_bernoulli, METH_VARARGS,
     "bernoulli(out, p_or_None, p_scalar, seed, stream, offset)\n"
     "Fill out with 0/1 draws of probability p (array like out) or p_scalar."},
    {"permutation", py_permutation, METH_VARARGS,
     "permutation(out, seed, stream, offset)\nA random permutation of range(out.size)."},
    {"_rng_u32", py_rng_u32, METH_VARARGS,
     "_rng_u32(out_uint32, seed, stream, offset)\nThe raw 32-bit values."},
    {"all_finite", py_all_finite, METH_O,
     "all_finite(x) -> bool\nTrue if no element of float32 x is NaN or Inf."},
    {NULL, NULL, 0, NULL},
};
