#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdio.h>
#include <string.h>

/* add(a, b) -> a + b, computed in C. */
static PyObject *spam_add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) {
        return NULL;
    }
    return PyLong_FromLong(a + b);
}

/* system_byteorder() -> "little" or "big", from the compiled code's view. */
static PyObject *spam_byteorder(PyObject *self, PyObject *unused) {
    const unsigned int one = 1;
    return PyUnicode_FromString(*(const unsigned char *)&one ? "little" : "big");
}

/* hexlify(n) -> lowercase hex digits of n, formatted by the C library. */
static PyObject *spam_hexlify(PyObject *self, PyObject *args) {
    unsigned long n;
    char buf[32];
    if (!PyArg_ParseTuple(args, "k", &n)) {
        return NULL;
    }
    snprintf(buf, sizeof buf, "%lx", n);
    return PyUnicode_FromStringAndSize(buf, (Py_ssize_t)strlen(buf));
}

static PyMethodDef spam_methods[] = {
    {"hexlify", spam_hexlify, METH_VARARGS, "Hex digits of an unsigned integer."},
    {"add", spam_add, METH_VARARGS, "Add two integers in C."},
    {"system_byteorder", spam_byteorder, METH_NOARGS, "Byte order seen by C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef spam_module = {PyModuleDef_HEAD_INIT, "_spam", NULL, -1, spam_methods};

PyMODINIT_FUNC PyInit__spam(void) { return PyModule_Create(&spam_module); }
