"""The `monitor` command line: argument parsing (main.py) and every command's output.

Commands import what they use when they run, so `monitor --help` and a spawned scoring
worker stay light.
"""
