"""Tests run inside the nested lab's outer container (see conftest.py).

A package, so that its conftest does not shadow ``tests/lab/conftest.py``
as the module ``conftest`` (``from conftest import ...`` in the lab tests).
"""
