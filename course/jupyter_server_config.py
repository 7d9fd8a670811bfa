"""The Jupyter server's settings for ``make formgrader`` (the instructor's JupyterLab in course/).

Defence in depth for the Formgrader's pages, which show students' work on the server's own
origin: the autograded notebooks are already inert (autograder.nbgrader_plugin.InertOutputs)
and rendered with nbconvert's sanitizer (``HTMLExporter.sanitize_html`` in nbgrader_config.py).
This policy adds what a header can without breaking JupyterLab or the Formgrader, whose own
pages need inline scripts: no plugins or embedded objects, no <base> or form redirection, no
framing by other sites, and no connection to any other host (a script that still ran could not
send the gradebook or the session anywhere but this server).
"""

c = get_config()  # noqa: F821 - Jupyter defines get_config() when it loads this file
c.ServerApp.tornado_settings = {
    "headers": {
        "Content-Security-Policy": "; ".join(
            [
                "frame-ancestors 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                "connect-src 'self' ws: wss:",
            ]
        )
    }
}
