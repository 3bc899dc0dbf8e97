"""Package list for setuptools: the library, plus cli/ and signatures/ installed inside it.

Everything else lives in pyproject.toml. This file exists only because pyproject.toml cannot
combine package discovery with the two remapped folders.
"""

from setuptools import find_namespace_packages, setup

library = ["stalkerscan", *(f"stalkerscan.{p}" for p in find_namespace_packages("stalkerscan"))]
cli = ["stalkerscan.cli", *(f"stalkerscan.cli.{p}" for p in find_namespace_packages("cli"))]
data = ["stalkerscan.bundled_signatures",
        *(f"stalkerscan.bundled_signatures.{p}" for p in find_namespace_packages("signatures"))]
package_dir = {"stalkerscan": "stalkerscan", "stalkerscan.cli": "cli",
               "stalkerscan.bundled_signatures": "signatures"}

setup(packages=[p for p in library + cli + data if "__pycache__" not in p], package_dir=package_dir)
