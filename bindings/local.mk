# SPDX-License-Identifier: ISC
# bindings: Python (module p2pclient, ctypes over libp2pclient: installed
# under $(pythondir), pip-installable from bindings/python) and C# (P/Invoke,
# a source file to add to a .NET or Unity project). Both are tested against
# real agents: python.sh (also under ASan, libasan preloaded), csharp.sh
# (mono's mcs and mono; normal build only).
if HAVE_PYTHON
p2pclient_pythondir = $(pythondir)/p2pclient
p2pclient_python_PYTHON = bindings/python/p2pclient/__init__.py \
	bindings/python/p2pclient/_lib.py bindings/python/p2pclient/aio.py
endif
EXTRA_DIST += bindings/python/setup.py bindings/python/tests/test_p2pclient.py \
	bindings/python/p2pclient/__init__.py bindings/python/p2pclient/_lib.py \
	bindings/python/p2pclient/aio.py \
	bindings/csharp/P2PClient.cs bindings/csharp/tests/TestP2PClient.cs \
	tests/integration/python.sh tests/integration/csharp.sh
AM_TESTS_ENVIRONMENT += PYTHON='$(PYTHON)'; export PYTHON; CC='$(CC)'; export CC;
TESTS += tests/integration/python.sh tests/integration/csharp.sh
