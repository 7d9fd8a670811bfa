"""The student's process: sandboxed, limited, and unable to hurt the grader or lie to it.

Each test loads a small "notebook" (cells of source) into the answerer, the way grading does, and
checks what the grader gets back: an answer, or a sentence saying what the code did instead.
"""

from __future__ import annotations

import os
import time

import pytest
from conftest import ROOT, require

from autograder.sandbox import Answerer, have_bwrap


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    require(have_bwrap(), "bubblewrap isolates the student's process")


def answerer(*cells: str, **options: float) -> Answerer:
    a = Answerer(list(enumerate(cells, start=1)), load_timeout=3.0, call_timeout=1.0, **options)
    a.start()
    return a


def test_answers_cross_the_pipe_as_plain_data() -> None:
    with answerer("def f(x):\n    return [x, (x, b'\\x01'), None, 1.5]\nX = 'ok'") as a:
        assert a.call("f", b"ab").value == [b"ab", [b"ab", b"\x01"], None, 1.5]
        assert a.get("X").value == "ok"
        assert a.call("nope").error == "NameError: name 'nope' is not defined"


def test_an_object_equal_to_everything_is_not_an_answer() -> None:
    code = (
        "class Yes:\n    def __eq__(self, other):\n        return True\ndef f():\n    return Yes()"
    )
    with answerer(code) as a:
        assert a.call("f").error == "TypeError: returned a Yes"


def test_the_course_the_reference_and_the_gradebook_are_not_there() -> None:
    code = (
        "import os, sys\n"
        f"SEEN = [os.path.exists(p) for p in ({str(ROOT)!r}, {str(ROOT / 'course')!r})]\n"
        "ROOT = os.listdir('/root') if os.path.isdir('/root') else []\n"
        "def imports(name):\n"
        "    __import__(name)\n"
    )
    with answerer(code) as a:
        assert a.get("SEEN").value == [False, False]
        assert set(a.get("ROOT").value) <= {".pyenv"}  # at most the Python installation
        assert a.call("imports", "tcpcore").error.startswith("ModuleNotFoundError")
        assert a.call("imports", "autograder").error.startswith("ModuleNotFoundError")


def test_it_writes_only_its_own_folder_and_has_no_network_and_no_root() -> None:
    code = (
        "import os, socket\n"
        "def write(path):\n"
        "    with open(path, 'w') as f:\n"
        "        f.write('x')\n"
        "    return os.path.exists(path)\n"
        "def connect():\n"
        "    socket.create_connection(('127.0.0.1', 22), timeout=0.5)\n"
        "def uid():\n"
        "    return os.getuid()\n"
    )
    with answerer(code) as a:
        assert a.call("write", "mine.txt").value is True
        assert a.call("write", "/usr/evil").error.startswith(("OSError", "PermissionError"))
        assert not a.call("connect").ok
        assert a.call("uid").value != 0


def test_an_endless_loop_costs_one_question_then_grading_goes_on() -> None:
    with answerer("def spin(n):\n    while n:\n        pass\n    return n") as a:
        start = time.monotonic()
        assert (
            a.call("spin", 1).error == "your code ran too long (an endless loop?) and was stopped"
        )
        assert time.monotonic() - start < 3
        assert a.call("spin", 0).value == 0  # a fresh process, the same code


def test_a_cell_that_never_ends_is_left_out_and_the_rest_loaded() -> None:
    with answerer("def f():\n    return 1", "while True:\n    pass", "G = 2") as a:
        assert a.call("f").value == 1 and a.get("G").value == 2
        assert a.load.errors[0][0] == 2 and "left this cell out" in a.load.errors[0][1]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (
            "import os\n    os._exit(7)",
            "your code ended the grading process (exit status 7; os._exit?)",
        ),
        ("import sys\n    sys.exit(3)", "SystemExit: 3"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("class Boom(BaseException):\n        pass\n    raise Boom('x')", "Boom: x"),
        ("return bytearray(10**12)", "MemoryError"),
    ],
)
def test_exits_and_base_exceptions_are_reported_not_obeyed(code: str, error: str) -> None:
    with answerer(f"def f():\n    {code}\ndef g():\n    return 'still here'") as a:
        assert a.call("f").error == error
        assert a.call("g").value == "still here"


def test_forks_are_stopped_and_cannot_answer_in_the_parents_place() -> None:
    code = (
        "import os\ndef f():\n    return [os.fork() > 0 for _ in range(50)]\ndef g():\n    return 1"
    )
    with answerer(code) as a:
        got = a.call("f")
        assert got.ok or got.error.startswith("BlockingIOError")  # the process limit
        assert [a.call("g").value for _ in range(20)] == [1] * 20


def test_megabytes_of_printing_cost_nothing() -> None:
    with answerer("print('x' * 50_000_000)\ndef f():\n    print('y' * 10**7)\n    return 2") as a:
        assert a.call("f").value == 2


def test_a_student_who_kills_the_process_too_often_gets_no_more_questions() -> None:
    code = "import os\ndef f():\n    os._exit(1)"
    with answerer(code, restarts=1) as a:
        assert "ended the grading process" in a.call("f").error
        assert "ended the grading process" in a.call("f").error
        assert a.call("f").error == "not asked: your code stopped the grader too often"


def test_deleting_everything_in_reach_harms_nothing_outside(tmp_path: os.PathLike[str]) -> None:
    marker = ROOT / "course" / "nbgrader_config.py"
    before = marker.read_bytes()
    code = "import shutil\nfor p in ('/', '/home', '..', '/tmp'):\n    shutil.rmtree(p, True)"
    with answerer(code, "X = 1") as a:
        assert a.get("X").value == 1
    assert marker.read_bytes() == before
