"""What the tests share: sample projects, local servers, fakes and their fixtures.

Test modules import helpers from here and never from each other, so a test file can be
moved, renamed or run alone without dragging another test file's tests into its collection.
The fixture modules are registered once, in ``tests/conftest.py`` (``pytest_plugins``).
"""
