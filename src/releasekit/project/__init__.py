"""The project being released, read only: its workspace, its name and version as
its backend computes them, and its changelog.
"""
