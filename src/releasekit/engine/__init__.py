"""What a release decides and remembers, with no network and no subprocess.

The policy and the plan, the shared vocabulary of targets, the manifest of what was
built, the records under ``dist/``, the journal, the summary, and the values one run
works from.
"""
