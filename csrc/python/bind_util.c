/* bind_util.c - argument checks and status mapping shared by bindings. */
#include "bind_util.h"

#include <math.h>
#include <string.h>

/* "(512, 784)" into buf; -1 entries print as "*". */
static void format_shape(char *buf, size_t size, int ndim,
                         const npy_intp *shape)
{
    size_t used = 0;
    used += (size_t)snprintf(buf + used, size - used, "(");
    for (int i = 0; i < ndim && used < size; i++) {
        const char *sep = i ? ", " : "";
        if (shape[i] < 0)
            used += (size_t)snprintf(buf + used, size - used, "%s*", sep);
        else
            used += (size_t)snprintf(buf + used, size - used, "%s%lld", sep,
                                     (long long)shape[i]);
    }
    if (used < size)
        snprintf(buf + used, size - used, ndim == 1 ? ",)" : ")");
}

static const char *dtype_name(int dtype)
{
    switch (dtype) {
    case NPY_FLOAT32: return "float32";
    case NPY_FLOAT64: return "float64";
    case NPY_INT64: return "int64";
    case NPY_INT32: return "int32";
    case NPY_UINT8: return "uint8";
    default: return "another dtype";
    }
}

PyArrayObject *gm_arg_array(PyObject *obj, const char *func, const char *name,
                            int dtype, int ndim_min, int ndim_max)
{
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError,
                     "%s: '%s' must be a numpy.ndarray of %s, got %s", func,
                     name, dtype_name(dtype), Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    if (PyArray_TYPE(arr) != dtype) {
        PyErr_Format(PyExc_TypeError, "%s: '%s' must have dtype %s, got %s",
                     func, name, dtype_name(dtype),
                     PyArray_DESCR(arr)->typeobj->tp_name);
        return NULL;
    }
    int ndim = PyArray_NDIM(arr);
    if (ndim < ndim_min || ndim > ndim_max) {
        if (ndim_min == ndim_max)
            PyErr_Format(PyExc_ValueError,
                         "%s: '%s' must be %d-dimensional, got %d dimensions",
                         func, name, ndim_min, ndim);
        else
            PyErr_Format(PyExc_ValueError,
                         "%s: '%s' must have %d to %d dimensions, got %d",
                         func, name, ndim_min, ndim_max, ndim);
        return NULL;
    }
    if (!PyArray_IS_C_CONTIGUOUS(arr)) {
        PyErr_Format(PyExc_ValueError,
                     "%s: '%s' must be C-contiguous (use "
                     "numpy.ascontiguousarray)", func, name);
        return NULL;
    }
    if (!PyArray_ISALIGNED(arr)) {
        PyErr_Format(PyExc_ValueError, "%s: '%s' must be aligned", func, name);
        return NULL;
    }
    return arr;
}

int gm_arg_shape(PyArrayObject *arr, const char *func, const char *name,
                 int ndim, const npy_intp *expected)
{
    int ok = PyArray_NDIM(arr) == ndim;
    for (int i = 0; ok && i < ndim; i++)
        if (expected[i] >= 0 && PyArray_DIM(arr, i) != expected[i])
            ok = 0;
    if (ok)
        return 0;
    char got[160], want[160];
    format_shape(got, sizeof got, PyArray_NDIM(arr), PyArray_DIMS(arr));
    format_shape(want, sizeof want, ndim, expected);
    PyErr_Format(PyExc_ValueError, "%s: '%s' has shape %s, expected %s", func,
                 name, got, want);
    return -1;
}

PyArrayObject *gm_arg_optional_array(PyObject *obj, const char *func,
                                     const char *name, int dtype,
                                     int ndim_min, int ndim_max)
{
    if (obj == Py_None)
        return NULL;
    return gm_arg_array(obj, func, name, dtype, ndim_min, ndim_max);
}

int gm_arg_same_shape(PyArrayObject *arr, PyArrayObject *ref, const char *func,
                      const char *name)
{
    return gm_arg_shape(arr, func, name, PyArray_NDIM(ref), PyArray_DIMS(ref));
}

size_t gm_dims_product(PyArrayObject *arr, int first_dim)
{
    size_t product = 1;
    for (int i = first_dim; i < PyArray_NDIM(arr); i++)
        product *= (size_t)PyArray_DIM(arr, i);
    return product;
}

int gm_arg_writeable(PyArrayObject *arr, const char *func, const char *name)
{
    if (PyArray_ISWRITEABLE(arr))
        return 0;
    PyErr_Format(PyExc_ValueError, "%s: output '%s' is read-only", func, name);
    return -1;
}

/* The byte range [*lo, *hi) an array's elements occupy, whatever its strides. */
static void memory_extent(PyArrayObject *arr, const char **lo, const char **hi)
{
    const char *start = PyArray_BYTES(arr), *end = start + PyArray_ITEMSIZE(arr);
    for (int d = 0; d < PyArray_NDIM(arr); d++) {
        npy_intp span = (PyArray_DIM(arr, d) - 1) * PyArray_STRIDE(arr, d);
        if (span < 0)
            start += span;
        else
            end += span;
    }
    *lo = start, *hi = end;
}

int gm_arg_no_overlap(PyArrayObject *out, PyArrayObject *in, const char *func,
                      const char *out_name, const char *in_name)
{
    if (PyArray_SIZE(out) == 0 || PyArray_SIZE(in) == 0)
        return 0;
    const char *o_lo, *o_hi, *i_lo, *i_hi;
    memory_extent(out, &o_lo, &o_hi);
    memory_extent(in, &i_lo, &i_hi);
    if (o_hi <= i_lo || i_hi <= o_lo)
        return 0;
    PyErr_Format(PyExc_ValueError, "%s: output '%s' overlaps input '%s'", func,
                 out_name, in_name);
    return -1;
}

int gm_arg_finite(PyArrayObject *arr, const char *func, const char *name)
{
    npy_intp n = PyArray_SIZE(arr);
    int bad = 0;
    if (PyArray_TYPE(arr) == NPY_FLOAT32) {
        const float *p = (const float *)PyArray_DATA(arr);
        for (npy_intp i = 0; i < n; i++)
            bad |= !isfinite(p[i]);
    } else if (PyArray_TYPE(arr) == NPY_FLOAT64) {
        const double *p = (const double *)PyArray_DATA(arr);
        for (npy_intp i = 0; i < n; i++)
            bad |= !isfinite(p[i]);
    }
    if (!bad)
        return 0;
    PyErr_Format(PyExc_ValueError, "%s: '%s' contains NaN or Inf", func, name);
    return -1;
}

PyArrayObject *gm_new_f32(int ndim, const npy_intp *shape, int zeroed)
{
    return (PyArrayObject *)(zeroed ? PyArray_ZEROS(ndim, shape, NPY_FLOAT32, 0)
                                    : PyArray_EMPTY(ndim, shape, NPY_FLOAT32, 0));
}

PyObject *gm_raise_status(gm_status status, const char *func)
{
    switch (status) {
    case GM_OK:
        PyErr_Format(PyExc_SystemError, "%s: raised with status ok", func);
        break;
    case GM_ERR_NOMEM:
        PyErr_NoMemory();
        break;
    case GM_ERR_INTERRUPTED:
        if (!PyErr_CheckSignals())
            PyErr_SetNone(PyExc_KeyboardInterrupt);
        break;
    case GM_ERR_NONFINITE:
        PyErr_Format(PyExc_FloatingPointError, "%s: %s", func,
                     gm_status_string(status));
        break;
    case GM_ERR_ARG:
        PyErr_Format(PyExc_ValueError, "%s: %s", func,
                     gm_status_string(status));
        break;
    default:
        PyErr_Format(PyExc_RuntimeError, "%s: %s", func,
                     gm_status_string(status));
        break;
    }
    return NULL;
}
