/* bind_gemm.c - gemm(a, b, c, trans_a, trans_b, alpha, beta, bias). */
#include "bind_util.h"

/* A 2-D float32 matrix whose rows are contiguous but may be spaced out (a
 * row slice of a wider array): returns it with its leading dimension. */
static PyArrayObject *matrix_arg(PyObject *obj, const char *name, ptrdiff_t *ld)
{
    if (!PyArray_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "gemm: '%s' must be a numpy.ndarray of float32, got %s",
                     name, Py_TYPE(obj)->tp_name);
        return NULL;
    }
    PyArrayObject *arr = (PyArrayObject *)obj;
    if (PyArray_TYPE(arr) != NPY_FLOAT32) {
        PyErr_Format(PyExc_TypeError, "gemm: '%s' must have dtype float32, got %s", name,
                     PyArray_DESCR(arr)->typeobj->tp_name);
        return NULL;
    }
    if (PyArray_NDIM(arr) != 2) {
        PyErr_Format(PyExc_ValueError, "gemm: '%s' must be 2-dimensional, got %d dimensions",
                     name, PyArray_NDIM(arr));
        return NULL;
    }
    npy_intp rows = PyArray_DIM(arr, 0), cols = PyArray_DIM(arr, 1);
    npy_intp row_stride = PyArray_STRIDE(arr, 0), col_stride = PyArray_STRIDE(arr, 1);
    if (rows == 0 || cols == 0) {
        *ld = cols > 1 ? cols : 1;
        return arr;
    }
    int ok = PyArray_ISALIGNED(arr) && (cols <= 1 || col_stride == 4);
    if (rows > 1)
        ok = ok && row_stride % 4 == 0 && row_stride >= 4 * (cols > 1 ? cols : 1);
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "gemm: '%s' must have contiguous rows (a C-contiguous "
                     "array or a slice of rows of one)", name);
        return NULL;
    }
    *ld = rows > 1 ? row_stride / 4 : (cols > 1 ? cols : 1);
    return arr;
}

static PyObject *py_gemm(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"a", "b", "c", "trans_a", "trans_b", "alpha",
                             "beta", "bias", NULL};
    PyObject *a_obj, *b_obj, *c_obj, *bias_obj = Py_None;
    int trans_a = 0, trans_b = 0;
    float alpha = 1.0f, beta = 0.0f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|ppffO", kwlist, &a_obj,
                                     &b_obj, &c_obj, &trans_a, &trans_b,
                                     &alpha, &beta, &bias_obj))
        return NULL;
    ptrdiff_t lda, ldb, ldc;
    PyArrayObject *a = matrix_arg(a_obj, "a", &lda);
    PyArrayObject *b = a ? matrix_arg(b_obj, "b", &ldb) : NULL;
    PyArrayObject *c = b ? matrix_arg(c_obj, "c", &ldc) : NULL;
    if (!c || gm_arg_writeable(c, "gemm", "c"))
        return NULL;
    npy_intp m = PyArray_DIM(a, trans_a ? 1 : 0), k = PyArray_DIM(a, trans_a ? 0 : 1);
    npy_intp n = PyArray_DIM(b, trans_b ? 0 : 1);
    npy_intp b_want[2] = {trans_b ? -1 : k, trans_b ? k : -1};
    npy_intp c_want[2] = {m, n};
    if (gm_arg_shape(b, "gemm", "b", 2, b_want) ||
        gm_arg_shape(c, "gemm", "c", 2, c_want))
        return NULL;
    if (PyArray_SIZE(c) > 0 && (gm_arg_no_overlap(c, a, "gemm", "c", "a") ||
                                gm_arg_no_overlap(c, b, "gemm", "c", "b")))
        return NULL;
    PyArrayObject *bias = gm_arg_optional_array(bias_obj, "gemm", "bias", NPY_FLOAT32, 1, 1);
    if (!bias && PyErr_Occurred())
        return NULL;
    npy_intp bias_want[1] = {n};
    if (bias && (gm_arg_shape(bias, "gemm", "bias", 1, bias_want) ||
                 (PyArray_SIZE(c) > 0 && gm_arg_no_overlap(c, bias, "gemm", "c", "bias"))))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_sgemm_bias(trans_a ? GM_TRANS : GM_NO_TRANS, trans_b ? GM_TRANS : GM_NO_TRANS,
                      m, n, k, alpha, PyArray_DATA(a), lda, PyArray_DATA(b), ldb, beta,
                      PyArray_DATA(c), ldc, bias ? PyArray_DATA(bias) : NULL);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, "gemm");
    Py_INCREF(c);
    return (PyObject *)c;
}

static PyObject *py_fma_peak_gflops(PyObject *self, PyObject *args)
{
    (void)self;
    double seconds = 0.2;
    int threads = 1;
    if (!PyArg_ParseTuple(args, "|di", &seconds, &threads))
        return NULL;
    if (!(seconds > 0 && seconds <= 60) || threads < 1 || threads > 4096) {
        PyErr_SetString(PyExc_ValueError,
                        "fma_peak_gflops: need 0 < seconds <= 60 and threads >= 1");
        return NULL;
    }
    double gflops;
    Py_BEGIN_ALLOW_THREADS
    gflops = gm_fma_peak_gflops(seconds, threads);
    Py_END_ALLOW_THREADS
    return PyFloat_FromDouble(gflops);
}

PyMethodDef gm_gemm_methods[] = {
    {"fma_peak_gflops", py_fma_peak_gflops, METH_VARARGS,
     "fma_peak_gflops(seconds=0.2, threads=1) -> measured FP32 FMA GFLOP/s"},
    {"gemm", (PyCFunction)(void (*)(void))py_gemm, METH_VARARGS | METH_KEYWORDS,
     "gemm(a, b, c, trans_a=False, trans_b=False, alpha=1, beta=0, bias=None) -> c\n"
     "c = alpha * op(a) @ op(b) + beta * c (+ bias on every row), in place."},
    {NULL, NULL, 0, NULL},
};
