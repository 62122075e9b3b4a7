"""requests sessions for API conversations (OCI registries), with the options, retries and
user agent of `releaser.adapters.http.HttpClient`. Imported only by runs that need one."""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

from releaser import __version__
from releaser.adapters.http import HttpOptions, retry_policy


def build_session(options: HttpOptions | None = None) -> requests.Session:
    """A session with bounded retries (exponential backoff), redirects and a user agent."""
    opts = options or HttpOptions()
    session = requests.Session()
    # requests follows redirects itself (bounded by max_redirects), urllib3 must not.
    adapter = HTTPAdapter(max_retries=retry_policy(opts, redirects=False), pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = opts.max_redirects
    session.headers["User-Agent"] = f"releaser/{__version__}"
    return session
