# SPDX-License-Identifier: ISC
# pip install bindings/python  (needs libp2pclient.so.1 on the system, or
# P2PCLIENT_LIBRARY naming it)
from setuptools import setup

setup(name="p2pclient", version="1.3.0",
      description="Python bindings for libp2pclient (p2pd's application "
                  "library), over ctypes",
      license="ISC", packages=["p2pclient"], python_requires=">=3.7")
