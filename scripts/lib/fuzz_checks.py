"""Schemathesis checks of sipas's error model (loaded by scripts/fuzz-api through
SCHEMATHESIS_HOOKS): every 4xx of the API is a problem document, every 4xx of a page for people
(the citizen's survey page, sign-in, the dashboard) is an HTML page, and every 5xx is a failure
(the built-in not_a_server_error check)."""

import json

import schemathesis


@schemathesis.check
def problem_json_for_4xx(ctx, response, case):
    """A 4xx answer is `application/problem+json` with a stable `code` and its status."""
    status = response.status_code
    if not 400 <= status < 500:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not is_api(case.operation.path):
        # Pages answer people: their refusals are pages to read (or problems, for the few
        # refusals made before a page is chosen, such as a body too large).
        if not content_type.startswith(("text/html", "application/problem+json")):
            raise AssertionError(f"{status} page with content type {content_type!r}")
        return None
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"{status} with content type {content_type!r}, not problem+json")
    body = json.loads(response.content or b"null")
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        raise AssertionError(f"{status} problem without a code: {body!r}")
    if body.get("status") != status:
        raise AssertionError(f"problem status {body.get('status')!r} on a {status}")
    return None


def is_api(path):
    """The JSON API and the operations endpoints, not the pages for people."""
    return path.startswith("/api/") or path in ("/health", "/ready", "/metrics")
