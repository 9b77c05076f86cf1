"""Schemathesis hooks of test_openapi (loaded through SCHEMATHESIS_HOOKS in schemathesis' own process).

- Redirects are not followed: a documented 303 (GET /ui) is checked as the 303 it is, with its Location, not as the
  page it leads to.
- No path parameter is a dot segment ("." or ".."): a client removes those from the path before sending (RFC 3986
  section 5.2.4, as urllib3 does), so the request would reach another operation than the one being tested."""
import schemathesis


@schemathesis.hook
def process_call_kwargs(context, case, kwargs):
    kwargs["allow_redirects"] = False


@schemathesis.hook
def filter_path_parameters(context, path_parameters):
    return not any(value in (".", "..") for value in (path_parameters or {}).values())
