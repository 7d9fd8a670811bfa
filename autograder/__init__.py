"""Grading toolkit for the tcpcourse nbgrader course: compares student code with tcpcore."""
