"""Builds l2lab's compiled hot paths.

Every ``*.pyx`` file under ``primitives/`` becomes an extension module. Each one
has a pure-Python twin, so a build without a C compiler (or without Cython) still
installs: the failed extensions are skipped with a warning and ``l2lab info``
reports the pure backend for them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent


def find_extensions() -> list:
    if os.environ.get("L2LAB_NO_BUILD") == "1":
        return []
    try:
        from Cython.Build import cythonize
        from setuptools import Extension
    except ImportError:  # no Cython: the pure twins are used
        print("l2lab: Cython not available, skipping compiled hot paths", file=sys.stderr)
        return []
    exts = []
    for pyx in sorted(HERE.glob("primitives/**/*.pyx")):
        rel = pyx.relative_to(HERE).with_suffix("")
        name = ".".join(rel.parts)
        ext = Extension(
            name,
            [str(pyx.relative_to(HERE))],
            include_dirs=[str(pyx.parent.relative_to(HERE)), "primitives/_native"],
            extra_compile_args=["-O3"] if sys.platform != "win32" else [],
        )
        # Each .pyx is translated on its own so one broken module cannot take
        # the others' compiled twins down with it.
        try:
            exts.extend(cythonize([ext], language_level=3, quiet=True))
        except Exception as exc:
            print(f"l2lab: cythonize failed for {name} ({exc}); its pure twin will be used",
                  file=sys.stderr)
    return exts


class OptionalBuildExt(build_ext):
    """Build each extension on its own; a failure leaves its pure twin in charge."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            print(f"l2lab: compiled extensions unavailable ({exc})", file=sys.stderr)

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"l2lab: could not build {ext.name} ({exc}); pure twin will be used",
                  file=sys.stderr)


setup(ext_modules=find_extensions(), cmdclass={"build_ext": OptionalBuildExt})
