"""What touches the operating system and the network.

Child processes without credentials, virtualenvs, the one URL opener, where credentials
come from, late imports, the release lock and clean stops.
"""
