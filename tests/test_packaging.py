"""The wheel is what users install: build it, install it in a fresh venv, use it from elsewhere.

This catches files left out of the wheel, imports that only work from the checkout, and a broken
console script, none of which the in-tree tests can see.
"""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
    )
    (whl,) = out.glob("tcpcourse-*.whl")
    return whl


def test_wheel_ships_tcpcore_and_autograder_and_no_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "tcpcore/__init__.py" in names
    assert "tcpcore/protocol/table.py" in names
    # The subpackages ship too (hatch takes folders whole): the command, the packetdrill runner,
    # the quiz with its data, the apps.
    assert {
        "tcpcore/cli/__main__.py",
        "tcpcore/cli/trace.py",
        "tcpcore/conformance/runner.py",
        "tcpcore/sim/scenarios.py",
        "tcpcore/capture/pcap.py",
        "tcpcore/capture/columnar.py",
        "tcpcore/quiz/followups.py",
        "tcpcore/quiz/zh_cn.py",
        "tcpcore/widgets/predict.py",
        "tcpcore/widgets/static.py",
    } <= set(names)
    assert "autograder/__init__.py" in names
    assert not any(n.startswith(("tests/", "notebooks/", "course/")) for n in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tcpcore = tcpcore.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_works_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    code = (
        "import tcpcore, sys\n"
        "assert 'site-packages' in tcpcore.__file__, tcpcore.__file__\n"
        "s = tcpcore.Segment(1, 2, flags=tcpcore.Flags.SYN)\n"
        "assert tcpcore.Segment.decode(s.encode()) == s\n"
        "print(tcpcore.State.FIN_WAIT_1)\n"
    )
    done = subprocess.run(
        [str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "FIN-WAIT-1"
    helped = subprocess.run(
        [str(env_dir / "bin" / "tcpcore"), "--help"], cwd=tmp_path, capture_output=True, text=True
    )
    assert helped.returncode == 0, helped.stderr
    assert all(command in helped.stdout for command in ("trace", "scenario", "pktscript"))
    ran = subprocess.run(
        [str(py), "-m", "tcpcore.cli", "scenario", "handshake"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert "SYN+ACK seq=300 ack=101" in ran.stdout


def test_installed_wheel_needs_no_numpy(wheel: Path, tmp_path: Path) -> None:
    """The wheel alone (no extras) installs no numpy, runs the lessons' calls, and read_columns
    says in one line which extra brings numpy."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", str(wheel)], check=True)
    code = (
        "import importlib.util, tcpcore\n"
        "assert importlib.util.find_spec('numpy') is None, 'numpy was installed'\n"
        "path = tcpcore.shipped_captures()['client-closes-first']\n"
        "print(len(tcpcore.trace_from_capture(tcpcore.read_pcap(path)).segments()))\n"
        "try:\n"
        "    from tcpcore.capture import read_columns\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    count, message = done.stdout.strip().splitlines()
    assert int(count) > 0
    assert message.endswith("pip install 'tcpcourse[fast]'")
