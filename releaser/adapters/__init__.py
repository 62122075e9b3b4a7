"""The only code that touches git, HTTP, files, YAML, jinja2 and the Argo CD API."""
