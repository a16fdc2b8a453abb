"""Packages from an index, installed by the HOST (issue 14).

The sandbox makes no request (its connect-src is 'none'). micropip.install
here asks the host over the worker's message channel: the host resolves the
requirements (Pyodide's lock file first, then the configured PEP 691
indexes), asks the user, fetches the wheels, checks each one's sha256 and
hands the bytes in; the runner (runner.mjs) installs them. `%pip install`
at the start of a cell and imports of missing modules are handled by the
runner before the cell runs, through the same host call.

The host's function is set only while a cell runs (set_host / clear_host):
no JS object outlives a run, so a memory snapshot never holds one.
"""
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import sys
import types

_host = None  # JS: (request_json) -> Promise[reply_json], set while a cell runs

# Whether the host has a package index configured: None until a host reply
# says (the runner notes every reply: an import offer, %pip, micropip), then
# True, or False when it answered 'not_configured'. ci_runtime words a
# ModuleNotFoundError by it ("install it from the index" or "no network").
index_configured = None

# Import names whose package is named otherwise (the common ones).
IMPORT_TO_PACKAGE = {
    "yaml": "pyyaml", "PIL": "pillow", "sklearn": "scikit-learn", "bs4": "beautifulsoup4",
    "dateutil": "python-dateutil", "cv2": "opencv-python", "dotenv": "python-dotenv",
    "jose": "python-jose", "magic": "python-magic", "docx": "python-docx", "pptx": "python-pptx",
    "Crypto": "pycryptodome", "attr": "attrs", "google.protobuf": "protobuf", "fitz": "pymupdf",
}


class PackageInstallError(ImportError):
    """An install the host could not do; the message names the package and what to do."""

    def __init__(self, message, code=""):
        super().__init__(message)
        self.code = code


def set_host(fn):
    global _host
    _host = fn


def clear_host():
    global _host
    fn, _host = _host, None
    try:
        fn.destroy()
    except Exception:
        pass


def _norm(name):
    return re.sub(r"[-_.]+", "-", str(name)).lower()


def installed_json():
    """{normalized name: version} of every distribution Python can see."""
    out = {}
    for d in importlib.metadata.distributions():
        name = d.metadata["Name"] if d.metadata else None
        if name:
            out[_norm(name)] = d.version
    return json.dumps(out)


def missing(names):
    """Of these top-level import names, those Python cannot find (and that are not the standard library's)."""
    importlib.invalidate_caches()
    out = []
    for name in names:
        name = str(name)
        if name in sys.stdlib_module_names or name in sys.modules or name.startswith("_"):
            continue
        try:
            if importlib.util.find_spec(name) is None:
                out.append(name)
        except (ImportError, ValueError):
            out.append(name)
    return out


def package_for_import(name):
    return IMPORT_TO_PACKAGE.get(name, name)


async def _ask_host(requirements, kind="pip"):
    if _host is None:
        raise PackageInstallError(
            "Packages can be installed only while a cell runs (the host installs them); "
            "call micropip.install(...) from a cell.", "no_host")
    reply = json.loads(str(await _host(json.dumps({"kind": kind, "requirements": list(requirements)}))))
    if not reply.get("ok"):
        err = reply.get("error") or {}
        raise PackageInstallError(err.get("message") or "the packages were not installed", err.get("code", ""))
    importlib.invalidate_caches()
    return reply


async def install(requirements, keep_going=False, deps=True, credentials=None, pre=False, index_urls=None, **_ignored):
    """micropip.install: wheels uploaded to /mnt/data, or names resolved by the host."""
    from ci_runtime import install_wheel

    if isinstance(requirements, str):
        requirements = [requirements]
    names = []
    for req in requirements:
        req = str(req).strip()
        if "://" in req:
            raise ValueError(
                f"micropip.install({req!r}): the Python sandbox has no network access. Install by name "
                f"(micropip.install('name'), fetched by the page from the configured index), or download "
                f"the wheel, upload it to the chat, then micropip.install('/mnt/data/<file>.whl').")
        if req.endswith(".whl"):
            path = req if os.path.isabs(req) else os.path.join("/mnt/data", req)
            if not os.path.isfile(path):
                raise FileNotFoundError(f"micropip.install: no file {path} (upload the wheel first)")
            with open(path, "rb") as f:
                result = install_wheel(path, f.read())
            if not result["ok"]:
                raise PackageInstallError(f"micropip.install: {result['error']}", "install_failed")
            continue
        names.append(req)
    if names:
        await _ask_host(names)


def _list():
    return {d.metadata["Name"]: d.version for d in importlib.metadata.distributions() if d.metadata}


def _micropip_module():
    mod = types.ModuleType("micropip")
    mod.__doc__ = ("micropip for this sandbox: install() asks the page, which fetches pure-Python and "
                   "Pyodide wheels from the configured indexes with the user's consent.")
    mod.install = install
    mod.list = _list
    mod.PackageInstallError = PackageInstallError
    mod.__version__ = "0.0+ci"
    return mod


def setup():
    """Serves `import micropip` from here (before any shim on the meta path: sys.modules wins)."""
    sys.modules["micropip"] = _micropip_module()
