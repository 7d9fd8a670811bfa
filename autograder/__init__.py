"""Grading toolkit for the tcpcourse nbgrader course: compares student code with tcpcore.

* :mod:`autograder.keys`: the answer keys, computed from tcpcore's table, rules and connection.
* :mod:`autograder.compare`: asking, comparing and scoring: partial credit per transition group,
  and feedback that names the first divergence with its RFC clause.
* :mod:`autograder.checks`: the course's graded cells, one check per grade_id.
* :mod:`autograder.traces`: generated conversations between two reference endpoints.
* :mod:`autograder.sandbox` and :mod:`autograder.answerer`: the student's code in a separate,
  sandboxed, resource-limited process that answers questions over a pipe.
* :mod:`autograder.grading`: a notebook's program, graded.
* :mod:`autograder.nbgrader_plugin`: nbgrader's autograde with a sandboxed kernel and trusted
  scores (enabled by ``course/nbgrader_config.py``).
* :mod:`autograder.batch` and :mod:`autograder.report`: grading a class in parallel, and where it
  went wrong.
* :mod:`autograder.lab`: the helpers the assignment notebooks import.

Command line: ``python -m autograder check|grade|report`` (see :mod:`autograder.__main__`).
Only the standard library and tcpcore are imported at module top; nbgrader and matplotlib are
imported by the modules and commands that need them.
"""
