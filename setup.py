"""Build genmodels and its one extension module, genmodels._core.

The C core is compiled as C11 with OpenMP. Vector code paths (AVX2/FMA,
AVX-512) are compiled per function with target attributes and chosen at run
time, so the default build runs on any x86-64 CPU: no -march=native.
"""
import glob
import os

import numpy
from setuptools import Extension, setup

sources = sorted(glob.glob("csrc/*.c") + glob.glob("csrc/python/*.c"))

extra_compile_args = [
    "-std=c11", "-O3", "-fopenmp", "-fno-math-errno", "-fvisibility=hidden",
    "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers",
    # loops over a few floats (a kernel row, a padding column) stay inline:
    # as memcpy/memset calls they cost more than the copy
    "-fno-tree-loop-distribute-patterns",
]
if os.environ.get("GENMODELS_DEBUG"):
    extra_compile_args += ["-O0", "-g", "-fsanitize=address,undefined"]

core = Extension(
    "genmodels._core",
    sources=sources,
    include_dirs=["csrc", "csrc/python", numpy.get_include()],
    define_macros=[("_GNU_SOURCE", None)],
    extra_compile_args=extra_compile_args,
    extra_link_args=["-fopenmp"],
    depends=sorted(glob.glob("csrc/*.h") + glob.glob("csrc/python/*.h")),
)

setup(ext_modules=[core], options={"build_ext": {"parallel": os.cpu_count() or 1}})
