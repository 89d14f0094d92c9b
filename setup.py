"""Build hook: setup.cfg maps several top-level folders into the `benchmark` import root;
setuptools cannot discover sub-packages across such a mapping, so list them here."""
from setuptools import find_packages, setup

ROOTS = {
    "benchmark": "benchmark",
    "benchmark.datasets": "datasets",
    "benchmark.baselines": "baselines",
    "benchmark.leaderboards": "leaderboards",
}

packages = []
for package, folder in ROOTS.items():
    packages.append(package)
    packages += [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages)
