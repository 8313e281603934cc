/* Python int <-> 32 little-endian bytes without an intermediate bytes object:
 * the kernels' boundary converts every coordinate and scalar this way. */
#ifndef L2LAB_BN254_PYINT_H
#define L2LAB_BN254_PYINT_H

#include <Python.h>
#include <stdint.h>

/* 0 when v is an int in [0, 2^256), written to out; else -1 with an exception set. */
static int l2_int_to_le32(PyObject *v, uint8_t *out) {
#if PY_VERSION_HEX >= 0x030D0000
    Py_ssize_t r = PyLong_AsNativeBytes(v, out, 32,
                                        Py_ASNATIVEBYTES_LITTLE_ENDIAN |
                                            Py_ASNATIVEBYTES_UNSIGNED_BUFFER |
                                            Py_ASNATIVEBYTES_REJECT_NEGATIVE);
    if (r < 0) return -1;
    if (r > 32) {
        PyErr_SetString(PyExc_OverflowError, "int too big for 32 bytes");
        return -1;
    }
    return 0;
#else
    return _PyLong_AsByteArray((PyLongObject *)v, out, 32, 1, 0);
#endif
}

static PyObject *l2_int_from_le32(const uint8_t *in) {
    return _PyLong_FromByteArray(in, 32, 1, 0);
}

#endif
