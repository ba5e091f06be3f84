/* bind_gemm.c - gemm(a, b, c, trans_a, trans_b, alpha, beta). */
#include "bind_util.h"

static PyObject *py_gemm(PyObject *self, PyObject *args, PyObject *kwargs)
{
    (void)self;
    static char *kwlist[] = {"a", "b", "c", "trans_a", "trans_b", "alpha",
                             "beta", NULL};
    PyObject *a_obj, *b_obj, *c_obj;
    int trans_a = 0, trans_b = 0;
    float alpha = 1.0f, beta = 0.0f;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|ppff", kwlist, &a_obj,
                                     &b_obj, &c_obj, &trans_a, &trans_b,
                                     &alpha, &beta))
        return NULL;
    PyArrayObject *a = gm_arg_array(a_obj, "gemm", "a", NPY_FLOAT32, 2, 2);
    PyArrayObject *b = a ? gm_arg_array(b_obj, "gemm", "b", NPY_FLOAT32, 2, 2) : NULL;
    PyArrayObject *c = b ? gm_arg_array(c_obj, "gemm", "c", NPY_FLOAT32, 2, 2) : NULL;
    if (!c || gm_arg_writeable(c, "gemm", "c"))
        return NULL;
    npy_intp m = PyArray_DIM(a, trans_a ? 1 : 0), k = PyArray_DIM(a, trans_a ? 0 : 1);
    npy_intp n = PyArray_DIM(b, trans_b ? 0 : 1);
    npy_intp b_want[2] = {trans_b ? -1 : k, trans_b ? k : -1};
    npy_intp c_want[2] = {m, n};
    if (gm_arg_shape(b, "gemm", "b", 2, b_want) ||
        gm_arg_shape(c, "gemm", "c", 2, c_want) ||
        gm_arg_no_overlap(c, a, "gemm", "c", "a") ||
        gm_arg_no_overlap(c, b, "gemm", "c", "b"))
        return NULL;
    gm_status s;
    Py_BEGIN_ALLOW_THREADS
    s = gm_sgemm(trans_a ? GM_TRANS : GM_NO_TRANS,
                 trans_b ? GM_TRANS : GM_NO_TRANS, m, n, k, alpha,
                 PyArray_DATA(a), PyArray_DIM(a, 1), PyArray_DATA(b),
                 PyArray_DIM(b, 1), beta, PyArray_DATA(c), n > 0 ? n : 1);
    Py_END_ALLOW_THREADS
    if (s != GM_OK)
        return gm_raise_status(s, "gemm");
    Py_INCREF(c);
    return (PyObject *)c;
}

PyMethodDef gm_gemm_methods[] = {
    {"gemm", (PyCFunction)(void (*)(void))py_gemm, METH_VARARGS | METH_KEYWORDS,
     "gemm(a, b, c, trans_a=False, trans_b=False, alpha=1, beta=0) -> c\n"
     "c = alpha * op(a) @ op(b) + beta * c, in place."},
    {NULL, NULL, 0, NULL},
};
