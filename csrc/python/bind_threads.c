/* bind_threads.c - thread count and CPU features. */
#include "bind_util.h"

static PyObject *py_set_num_threads(PyObject *self, PyObject *arg)
{
    (void)self;
    long n = PyLong_AsLong(arg);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    if (n < 0 || n > 4096) {
        PyErr_Format(PyExc_ValueError,
                     "set_num_threads: 'n' must be in [0, 4096] (0 restores "
                     "the default), got %ld", n);
        return NULL;
    }
    gm_set_num_threads((int)n);
    Py_RETURN_NONE;
}

static PyObject *py_get_num_threads(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return PyLong_FromLong(gm_get_num_threads());
}

static PyObject *features_dict(unsigned f)
{
    return Py_BuildValue("{s:O,s:O}", "avx2_fma",
                         (f & GM_CPU_AVX2_FMA) ? Py_True : Py_False,
                         "avx512f", (f & GM_CPU_AVX512F) ? Py_True : Py_False);
}

static PyObject *py_cpu_features(PyObject *self, PyObject *noargs)
{
    (void)self, (void)noargs;
    return features_dict(gm_cpu_features());
}

static PyObject *py_set_cpu_allowed(PyObject *self, PyObject *arg)
{
    (void)self;
    unsigned long mask = PyLong_AsUnsignedLongMask(arg);
    if (PyErr_Occurred())
        return NULL;
    gm_cpu_set_allowed((unsigned)mask);
    return features_dict(gm_cpu_features());
}

PyMethodDef gm_threads_methods[] = {
    {"set_num_threads", py_set_num_threads, METH_O,
     "set_num_threads(n): threads for every kernel; 0 restores the default."},
    {"get_num_threads", py_get_num_threads, METH_NOARGS,
     "get_num_threads() -> int"},
    {"cpu_features", py_cpu_features, METH_NOARGS,
     "cpu_features() -> dict of the instruction sets the kernels may use."},
    {"_set_cpu_allowed", py_set_cpu_allowed, METH_O,
     "_set_cpu_allowed(mask) -> dict; for tests: mask 0 forces portable "
     "kernels, ~0 restores detection."},
    {NULL, NULL, 0, NULL},
};
