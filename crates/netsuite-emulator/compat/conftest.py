"""Starts the emulator binary named by NETSUITE_EMULATOR_BIN and reads its ready line."""

import json
import os
import subprocess

import pytest


@pytest.fixture(scope="session")
def emulator():
    binary = os.environ.get("NETSUITE_EMULATOR_BIN")
    if not binary:
        pytest.fail("set NETSUITE_EMULATOR_BIN to the netsuite-emulator binary")
    proc = subprocess.Popen(
        [binary, "--port", "0", "--customers", "2500", "--projects", "500", "--seed", "7"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ready = json.loads(proc.stdout.readline())
        yield ready
    finally:
        proc.terminate()
        proc.wait(timeout=30)
