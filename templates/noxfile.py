# /// script
# dependencies = ["nox>=2025.2.9", "releasekit[nox]"]
# ///
"""Release sessions for this project, written by `releasekit init`.

    nox -s check                    # is this commit releasable? (also what plain `nox` runs)
    nox -s release -- --rehearse    # the whole release against a local index: nothing leaves
    nox -s release                  # check, build, smoke-install, publish-test, publish

Options after `--`: --rehearse, --dry-run (stop before uploads), --yes (no prompt),
--dist DIR (publish files built elsewhere), --only PATH (in a workspace: one member).
Credentials come from the environment only:
RELEASEKIT_TEST_PASSWORD and RELEASEKIT_PROD_PASSWORD (or trusted publishing in CI).

Add your own sessions (tests, lint) below as usual; list them in [tool.releasekit]
check-sessions in pyproject.toml and `nox -s check` runs them before anything is built.
The block at the top lets `nox` install releasekit itself when it runs without it.
"""

import nox

import releasekit.sessions

nox.needs_version = ">=2025.2.9"
nox.options.error_on_missing_interpreters = True
# Plain `nox` runs the checks only: nothing is ever uploaded without naming the session.
nox.options.sessions = ["check"]

releasekit.sessions.register()
