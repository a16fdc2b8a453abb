"""The Python half of the Code Interpreter's runner (loaded by runner.mjs).

It runs inside Pyodide, in a worker, and does what a Jupyter kernel would:
runs a cell with top-level await and shows the last expression, captures
stdout/stderr in batches, implements IPython's display protocol, turns
matplotlib figures into PNGs. (Which files in /mnt/data the cell created,
changed or deleted is found by runner.mjs, in JS: a walk of the file
system's nodes costs a fraction of a stat() per file from Python.)

Rules kept here:
- No JavaScript object is held between runs (the JS hooks arrive as an
  argument of run_cell and are dropped when it ends), so a memory snapshot
  can be made after setup().
- Nothing in here may lose a file or hang: every step after the user's code
  runs with the interrupt buffer detached (runner.mjs does that), and errors
  in our own code are reported, never swallowed silently.
"""

import ast
import base64
import builtins
import io
import json
import linecache
import os
import re
import sys
import time
import traceback

DATA_DIR = "/mnt/data"
RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))

FLUSH_SECONDS = 0.05
FLUSH_CHARS = 64 * 1024

INPUT_MESSAGE = ("input() is not supported: the code runs without a keyboard; "
                 "put the values in the code")

# What a display() shows when an object offers several representations:
# the richest one the chat can render, as notebook front ends do.
MIME_PRIORITY = (
    # Explorable outputs first: the page renders them as a grid or a chart.
    "application/vnd.dataresource+json",
    "application/vnd.vegalite.v5+json", "application/vnd.vegalite.v4+json",
    "application/vnd.plotly.v1+json",
    "image/png", "image/jpeg", "image/svg+xml", "text/html", "text/markdown",
    "text/latex", "application/json", "text/plain",
)
REPR_METHODS = (
    ("image/png", "_repr_png_"), ("image/jpeg", "_repr_jpeg_"),
    ("image/svg+xml", "_repr_svg_"), ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"), ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
)
BINARY_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")

_config = {"output_limit": 2_000_000, "max_recursion_limit": 10_000}
_run = None          # the _Run in progress, or None
_setup_done = False


# ---------------------------------------------------------------- output ---

class _Run:
    """State of one cell: output batching, the output cap, the JS hooks."""

    def __init__(self, hooks, limit):
        self.hooks = hooks
        self.limit = limit
        self.used = 0
        self.dropped = {"stdout": 0, "stderr": 0}
        self.pending = []          # [(stream, text)] not yet sent
        self.pending_chars = 0
        self.last_flush = float("-inf")  # the first line goes out at once
        self.pending_since = None
        self.outputs = 0

    def write(self, stream, text):
        if not text:
            return
        size = len(text) if text.isascii() else len(text.encode("utf-8", "replace"))
        if self.used + size > self.limit:
            room = max(0, self.limit - self.used)
            kept = text[:room] if text.isascii() else _cut_utf8(text, room)
            kept_size = len(kept.encode("utf-8", "replace"))
            self.dropped[stream] += size - kept_size
            text, size = kept, kept_size
            if not text:
                return
        self.used += size
        now = time.monotonic()
        if not self.pending:
            self.pending_since = now
        self.pending.append((stream, text))
        self.pending_chars += len(text)
        # The code runs synchronously, so no timer can fire while it runs:
        # batching is decided here, on the write path. A line completed after
        # a quiet spell goes out at once (print() writes the text and the
        # newline separately: wait for the newline); a burst goes out every
        # 50 ms or 64 KB; text without a newline waits at most 0.5 s.
        if self.pending_chars >= FLUSH_CHARS:
            self.flush()
        elif now - self.last_flush >= FLUSH_SECONDS:
            if text.endswith(("\n", "\r")) or now - self.pending_since >= 0.5:
                self.flush()

    def flush(self):
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        chunks, self.pending, self.pending_chars = self.pending, [], 0
        # Merge neighbours of the same stream: fewer events, same order.
        merged = []
        for stream, text in chunks:
            if merged and merged[-1][0] == stream:
                merged[-1][1].append(text)
            else:
                merged.append((stream, [text]))
        for stream, parts in merged:
            self.hooks.text(stream, "".join(parts))

    # text: the object's text/plain beside a richer mime (a table's preview,
    # a chart's title): what the model reads and what .ipynb keeps as the
    # fallback. Cut here so a huge repr never crosses the boundary.
    TEXT_FALLBACK_LIMIT = 4000

    def output(self, mime, data, text=None):
        self.flush()  # text printed before a display() comes before it
        self.outputs += 1
        if mime == "text/plain" or not isinstance(text, str) or not text or _DEFAULT_REPR.match(text):
            text = None  # "<__main__.H object at 0x…>" tells the model nothing
        elif len(text) > self.TEXT_FALLBACK_LIMIT:
            text = text[: self.TEXT_FALLBACK_LIMIT] + "\n[...]"
        self.hooks.output(mime, data, text)

    def finish(self):
        for stream in ("stdout", "stderr"):
            n = self.dropped[stream]
            if n:
                self.pending.append((stream, f"\n[output truncated: {n} bytes not shown]\n"))
        self.flush()


_DEFAULT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>\Z")


def _cut_utf8(text, max_bytes):
    return text.encode("utf-8", "replace")[:max_bytes].decode("utf-8", "ignore")


class _Bytes(io.RawIOBase):
    """sys.stdout.buffer: bytes written here are decoded and join the text."""

    def __init__(self, stream):
        self._stream = stream
        self._decoder = __import__("codecs").getincrementaldecoder("utf-8")("replace")

    def writable(self):
        return True

    def write(self, b):
        self._stream.write(self._decoder.decode(bytes(b)))
        return len(b)


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr: text goes to the run's batcher, in order."""

    def __init__(self, name, fd):
        self._name = name
        self._fd = fd
        self.buffer = _Bytes(self)

    @property
    def name(self):
        return f"<{self._name}>"

    @property
    def encoding(self):
        return "utf-8"

    @property
    def errors(self):
        return "strict"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self._fd

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        run = _run
        if run is not None:
            run.write(self._name, s)
        return len(s)

    def flush(self):
        run = _run
        if run is not None:
            run.flush()


class _Stdin(io.TextIOBase):
    """sys.stdin: there is no keyboard, so reading fails at once (never hangs)."""

    name = "<stdin>"
    encoding = "utf-8"

    def readable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return 0

    def read(self, size=-1):
        raise RuntimeError(INPUT_MESSAGE)

    def readline(self, size=-1):
        raise RuntimeError(INPUT_MESSAGE)

    def readlines(self, hint=-1):
        raise RuntimeError(INPUT_MESSAGE)

    def close(self):
        pass  # exit() closes stdin; keep it usable for the next cell


def _input(prompt=""):
    if prompt:
        sys.stdout.write(str(prompt))
    raise RuntimeError(INPUT_MESSAGE)


# --------------------------------------------------------------- display ---

def _unwrap(value):
    # IPython lets _repr_*_ return (data, metadata).
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dict):
        return value[0]
    return value


def _encode(mime, data):
    """Bundle value → the wire: base64 for binary images, JSON text for JSON."""
    if data is None:
        return None
    if mime in BINARY_MIMES:
        if isinstance(data, str):
            return data.strip()  # already base64, as IPython allows
        return base64.b64encode(bytes(data)).decode("ascii")
    if mime == "application/json" or mime.endswith("+json"):
        return data if isinstance(data, str) else json.dumps(data, default=str)
    if isinstance(data, (bytes, bytearray)):
        return data.decode("utf-8", "replace")
    return str(data)


def _plain(obj):
    """text/plain as Jupyter shows it: pretty-printed containers, repr otherwise."""
    if isinstance(obj, (dict, list, tuple, set, frozenset)) and len(obj) <= 10_000:
        import pprint
        return pprint.pformat(obj, width=79)
    return repr(obj)


def format_object(obj):
    """IPython's display protocol: obj → {mime: wire data}. Never raises."""
    bundle = {}
    method = getattr(type(obj), "_repr_mimebundle_", None)
    if method is not None and not isinstance(obj, type):
        try:
            got = _unwrap(obj._repr_mimebundle_(include=None, exclude=None))
            if isinstance(got, dict):
                for mime, data in got.items():
                    enc = _encode(mime, data)
                    if enc is not None:
                        bundle[mime] = enc
        except Exception as e:  # a broken repr must not break the cell
            _warn(f"_repr_mimebundle_ of {type(obj).__name__} failed: {e!r}")
    for mime, name in REPR_METHODS:
        if mime in bundle or isinstance(obj, type):
            continue
        method = getattr(obj, name, None)
        if method is None or not callable(method):
            continue
        try:
            enc = _encode(mime, _unwrap(method()))
        except Exception as e:
            _warn(f"{name} of {type(obj).__name__} failed: {e!r}")
            continue
        if enc is not None:
            bundle[mime] = enc
    if TABLE_MIME not in bundle and (_is_frame(obj) or _is_series(obj)):
        # A DataFrame or Series shows as a table the user can explore; its
        # _repr_html_ stays in the bundle as the lesser mime.
        try:
            bundle[TABLE_MIME] = table_bundle(obj)[0]  # text/plain stays the object's repr
        except Exception as e:
            _warn(f"{type(obj).__name__} could not be shown as a table: {e!r}")
    if "text/plain" not in bundle:
        try:
            bundle["text/plain"] = _plain(obj)
        except Exception as e:
            bundle["text/plain"] = f"<{type(obj).__name__} object (repr failed: {e!r})>"
    return bundle


# ---------------------------------------------------------------- tables ---
#
# Tables reach the page as application/vnd.dataresource+json (Table Schema,
# as JupyterLab and nteract read it): {"schema": {"fields": [{name, type}],
# "primaryKey"?}, "data": [{field: value}], "total_rows": N, "title"?}.
# Rules:
# - At most TABLE_MAX_ROWS rows and TABLE_MAX_BYTES of JSON go out; total_rows
#   always says how many there were (the page says "N of M rows").
# - The JSON is valid: NaN, ±inf, None, NaT → null; datetimes → ISO text;
#   bytes → repr; anything else that JSON cannot hold → str().
# - pandas is never imported: DataFrames and Series are recognised by their
#   API (columns/index/dtypes/itertuples; index/dtype/items), so this works
#   with whatever pandas the user loaded, and with stand-ins in the tests.

TABLE_MIME = "application/vnd.dataresource+json"
TABLE_MAX_ROWS = 100_000
TABLE_MAX_BYTES = 16_000_000
TABLE_PREVIEW_ROWS = 10

_KIND_TYPES = {"i": "integer", "u": "integer", "f": "number", "b": "boolean",
               "M": "datetime", "m": "duration", "O": "string", "U": "string", "S": "string"}


def _is_frame(obj):
    # pandas keeps these as class properties; stand-ins may set them on the
    # instance: ask the object. Classes themselves are never tables.
    return (not isinstance(obj, type) and hasattr(obj, "columns") and hasattr(obj, "index")
            and hasattr(obj, "dtypes") and callable(getattr(obj, "itertuples", None)))


def _is_series(obj):
    return (not isinstance(obj, type) and not hasattr(obj, "columns") and hasattr(obj, "index")
            and hasattr(obj, "dtype") and callable(getattr(obj, "items", None))
            and callable(getattr(obj, "to_frame", None)))


def _cell(v, depth=0):
    """One value → JSON-safe value (see the rules above)."""
    t = type(v)
    if t is str or t is bool or v is None:
        return v
    if t is int:
        return v
    if t is float:
        return v if v == v and v not in (float("inf"), float("-inf")) else None
    item = getattr(v, "item", None)  # numpy scalars → Python scalars
    if item is not None and callable(item) and hasattr(v, "dtype"):
        try:
            got = item()
            if type(got) is not t:
                return _cell(got, depth)
        except Exception:
            pass
    if t.__name__ == "NAType":  # pandas.NA: its comparisons return NA, not a bool
        return None
    try:
        if v != v:  # NaN of any kind, pandas NaT
            return None
    except Exception:
        pass
    if isinstance(v, (bytes, bytearray, memoryview)):
        return repr(bytes(v))
    iso = getattr(v, "isoformat", None)
    if iso is not None and callable(iso):
        try:
            return iso()
        except Exception:
            pass
    if isinstance(v, float):
        return float(v) if v == v and abs(v) != float("inf") else None
    if isinstance(v, int):
        return int(v)
    if depth < 4 and isinstance(v, dict):
        return {str(k): _cell(x, depth + 1) for k, x in list(v.items())[:1000]}
    if depth < 4 and isinstance(v, (list, tuple)):
        return [_cell(x, depth + 1) for x in v[:1000]]
    try:
        return str(v)
    except Exception:
        return f"<{t.__name__}>"


def _type_of_values(values):
    """A Table Schema type for Python values (the first 1,000 that are not null)."""
    seen = set()
    for v in values:
        if v is None:
            continue
        seen.add(type(v))
        if len(seen) > 3:
            break
    if not seen:
        return "any"
    if seen == {bool}:
        return "boolean"
    if seen <= {int}:
        return "integer"
    if seen <= {int, float}:
        return "number"
    if seen == {str}:
        return "string"
    import datetime
    if seen <= {datetime.datetime} or all(hasattr(t, "isoformat") and issubclass(t, datetime.datetime) for t in seen):
        return "datetime"
    if seen == {datetime.date}:
        return "date"
    if seen <= {dict}:
        return "object"
    if seen <= {list, tuple}:
        return "array"
    return "any"


def _unique_names(names):
    out, used = [], set()
    for name in names:
        name = ", ".join(map(str, name)) if isinstance(name, tuple) else str(name)
        base, n = name, 1
        while name in used:
            name = f"{base}.{n}"
            n += 1
        used.add(name)
        out.append(name)
    return out


def _frame_table(obj, limit):
    """A DataFrame (by its API) → (fields, rows as lists, total, index field or None)."""
    total = len(obj.index)
    head = obj.head(limit) if total > limit and hasattr(obj, "head") else obj
    index = obj.index
    index_name = getattr(index, "name", None)
    names = _unique_names([index_name if index_name is not None else "index"] + list(obj.columns))
    kinds = []
    try:
        kinds = [getattr(d, "kind", "O") for d in list(obj.dtypes)]
    except Exception:
        kinds = ["O"] * len(names[1:])
    rows = []
    for tup in head.itertuples(index=True, name=None):
        rows.append([_cell(v) for v in tup])
        if len(rows) >= limit:
            break
    fields = [{"name": names[0], "type": _KIND_TYPES.get(getattr(getattr(index, "dtype", None), "kind", "O"), "string")}]
    for name, kind in zip(names[1:], kinds):
        fields.append({"name": name, "type": _KIND_TYPES.get(kind, "string")})
    _refine_types(fields, rows)
    return fields, rows, total, names[0]


def _series_table(obj, limit):
    total = len(obj.index)
    head = obj.head(limit) if total > limit and hasattr(obj, "head") else obj
    index_name = getattr(obj.index, "name", None)
    value_name = obj.name if getattr(obj, "name", None) is not None else (0 if index_name != 0 else "value")
    names = _unique_names([index_name if index_name is not None else "index", value_name])
    rows = []
    for k, v in head.items():
        rows.append([_cell(k), _cell(v)])
        if len(rows) >= limit:
            break
    kind = getattr(getattr(obj, "dtype", None), "kind", "O")
    fields = [{"name": names[0], "type": _KIND_TYPES.get(getattr(getattr(obj.index, "dtype", None), "kind", "O"), "string")},
              {"name": names[1], "type": _KIND_TYPES.get(kind, "string")}]
    _refine_types(fields, rows)
    return fields, rows, total, names[0]


def _refine_types(fields, rows):
    # An object column of pandas holds anything: name what it holds.
    for i, f in enumerate(fields):
        if f["type"] == "string":
            got = _type_of_values(r[i] for r in rows[:1000])
            f["type"] = "string" if got == "any" else got


def _records_table(rows_in, limit, columns=None):
    """dicts (list, csv.DictReader …), lists with a header row, or a dict of columns."""
    if isinstance(rows_in, dict):  # {column: [values]}
        columns = list(rows_in) if columns is None else columns
        cols = [list(rows_in[c]) if not isinstance(rows_in[c], (str, bytes)) else [rows_in[c]] for c in rows_in]
        total = max((len(c) for c in cols), default=0)
        rows = [[_cell(c[i]) if i < len(c) else None for c in cols] for i in range(min(total, limit))]
        names = _unique_names(columns)
    else:
        if isinstance(rows_in, (str, bytes)) or not hasattr(rows_in, "__iter__"):
            raise TypeError("display_table() takes a pandas DataFrame or Series, a list of dicts (csv.DictReader "
                            f"rows too), a list of lists with a header row, or a dict of columns; not {type(rows_in).__name__}")
        header = list(columns) if columns is not None else None
        if header is None and getattr(rows_in, "fieldnames", None):
            header = list(rows_in.fieldnames)  # csv.DictReader: the file's column order
        keys, key_index, rows, total, lists = [], {}, [], 0, None
        sample = []  # the first raw rows, for the column types (before _cell)
        for item in rows_in:
            if lists is None:
                lists = not isinstance(item, dict)
                if lists and header is None:  # the first row is the header
                    header = [str(h) for h in item]
                    continue
                for k in header or ():
                    key_index[k] = len(keys)
                    keys.append(k)
            total += 1
            if total > limit:
                continue  # counted, not kept
            if lists:
                if isinstance(item, (str, bytes)) or not hasattr(item, "__iter__"):
                    item = [item]
                if total <= 1000:
                    sample.append(list(item))
                rows.append([_cell(v) for v in item])
            else:
                if not isinstance(item, dict):
                    raise TypeError(f"display_table(): row {total} is a {type(item).__name__}, not a dict like the first row")
                row = [None] * len(keys)
                for k, v in item.items():
                    j = key_index.get(k)
                    if j is None:
                        j = key_index[k] = len(keys)
                        keys.append(k)
                        row.append(None)
                    row[j] = _cell(v)
                if total <= 1000:
                    sample.append([item.get(k) for k in keys])
                rows.append(row)
        if lists:
            keys = header or []
            width = max([len(keys)] + [len(r) for r in rows])
            keys = keys + [f"column {i + 1}" for i in range(len(keys), width)]
        names = _unique_names(keys)
        for r in rows:
            r.extend([None] * (len(names) - len(r)))
        rows_for_types = sample
    if isinstance(rows_in, dict):
        rows_for_types = [[c[i] if i < len(c) else None for c in cols] for i in range(min(total, 1000))]
    fields = [{"name": n, "type": _type_of_values(r[i] if i < len(r) else None for r in rows_for_types)}
              for i, n in enumerate(names)]
    return fields, rows, total, None


def _table_parts(obj, limit, columns=None):
    if _is_frame(obj):
        return _frame_table(obj, limit)
    if _is_series(obj):
        return _series_table(obj, limit)
    return _records_table(obj, limit, columns)


def _preview(fields, rows, total, title):
    """pandas-like text: the first rows, aligned, then "[N rows x M columns]"."""
    names = [f["name"] for f in fields]
    shown = rows[:TABLE_PREVIEW_ROWS]

    def text(v):
        s = "NaN" if v is None else (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v))
        s = s.replace("\n", " ")
        return s if len(s) <= 40 else s[:39] + "…"

    grid = [names] + [[text(v) for v in r] for r in shown]
    widths = [max(len(line[i]) for line in grid) for i in range(len(names))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(line, widths)).rstrip() for line in grid]
    lines = [line for line in lines if line]  # no columns: no empty header line
    if total > len(shown):
        lines.append("...")
    lines.append(f"[{total} rows x {len(names)} columns]")
    if title:
        lines.insert(0, str(title))
    return "\n".join(lines)


def table_bundle(obj, title=None, columns=None, max_rows=None, max_bytes=None):
    """obj → (dataresource JSON text, text/plain preview). Raises TypeError for what is no table."""
    limit = max(0, int(max_rows if max_rows is not None else TABLE_MAX_ROWS))
    cap = int(max_bytes if max_bytes is not None else TABLE_MAX_BYTES)
    fields, rows, total, key = _table_parts(obj, limit, columns)
    names = [f["name"] for f in fields]
    body = {"schema": {"fields": fields}, "data": None, "total_rows": total}
    if key is not None:
        body["schema"]["primaryKey"] = [key]
    if title is not None:
        body["title"] = str(title)
    kept = len(rows)
    while True:
        body["data"] = [dict(zip(names, r)) for r in rows[:kept]]
        text = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        if len(text) <= cap or kept == 0:
            break
        # Too big: keep the share of rows that fits (bytes ≈ chars for the
        # estimate), a little under, and check again.
        kept = max(0, min(kept - 1, int(kept * cap / len(text) * 0.97)))
    return text, _preview(fields, rows, total, title)


def display_table(obj, title=None, columns=None):
    """Shows a table the user can sort, filter, scroll, copy and download as CSV.

    obj: a pandas DataFrame or Series, a list of dicts (csv.DictReader rows
    too), a list of lists whose first row is the header (or pass columns=),
    or a dict of columns. Up to 100,000 rows are shown; the total is said.
    """
    text, preview = table_bundle(obj, title=title, columns=columns)
    if _run is not None:
        _run.output(TABLE_MIME, text, preview)
    else:
        print(preview)


def _best(bundle):
    for mime in MIME_PRIORITY:
        if mime in bundle:
            return mime
    for mime in bundle:  # some other type the chat may know (vega, plotly ...)
        return mime
    return None


def display(*objs, raw=False, include=None, exclude=None, **kwargs):
    """Show objects as rich output, like IPython's display().

    Objects with _repr_png_, _repr_svg_, _repr_html_, _repr_markdown_,
    _repr_json_, _repr_mimebundle_ ... show as images, tables, text. With
    raw=True each object is a mime bundle such as {"text/html": "<b>hi</b>"}.
    """
    for obj in objs:
        if raw:
            if not isinstance(obj, dict):
                raise TypeError("display(raw=True) takes mime bundles: dicts such as {'text/html': '<b>hi</b>'}")
            bundle = {m: _encode(m, d) for m, d in obj.items() if d is not None}
        else:
            bundle = format_object(obj)
        if include:
            bundle = {m: d for m, d in bundle.items() if m in include}
        if exclude:
            bundle = {m: d for m, d in bundle.items() if m not in exclude}
        mime = _best(bundle)
        if mime is None:
            continue
        if _run is not None:
            _run.output(mime, bundle[mime], bundle.get("text/plain"))
        else:
            print(bundle.get("text/plain", ""))


def _warn(text):
    sys.stderr.write(f"[warning] {text}\n")


# ------------------------------------------------------------ matplotlib ---

_MPL_BACKEND = '''\
"""Matplotlib backend of the Code Interpreter: Agg pixels; show() sends PNGs."""
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas
from matplotlib.backend_bases import FigureManagerBase as FigureManager


def show(*args, **kwargs):
    import ci_runtime
    ci_runtime.show_figures()
'''


def show_figures():
    """Every open pyplot figure → one PNG output; then they are closed.

    Called by plt.show() (our backend) and after each cell, so figures that
    were drawn but never shown still appear, as in a notebook.
    """
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return
    try:
        nums = list(plt.get_fignums())
    except Exception:
        return
    for num in nums:
        try:
            fig = plt.figure(num)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            if _run is not None:
                _run.output("image/png", base64.b64encode(buf.getvalue()).decode("ascii"))
        except Exception as e:
            _warn(f"figure {num} could not be drawn: {e!r}")
    try:
        plt.close("all")
    except Exception:
        pass


# --------------------------------------------------------- IPython shim ---

_IPYTHON_DISPLAY = '''\
"""A small IPython.display for the Code Interpreter (display goes to the chat)."""
import base64 as _b64
import json as _json
from ci_runtime import display


def clear_output(wait=False):
    pass


def update_display(obj, *, display_id=None, **kwargs):
    display(obj)


class DisplayObject:
    def __init__(self, data=None, url=None, filename=None, metadata=None, **kwargs):
        if filename is not None:
            mode = "rb" if self._binary else "r"
            with open(filename, mode) as f:
                data = f.read()
        if url is not None and data is None:
            raise ValueError("this sandbox has no network: pass data or filename")
        self.data = data
        self.metadata = metadata

    _binary = False

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object>"


class HTML(DisplayObject):
    def _repr_html_(self):
        return self.data


class Markdown(DisplayObject):
    def _repr_markdown_(self):
        return self.data


class Latex(DisplayObject):
    def _repr_latex_(self):
        return self.data


class Math(Latex):
    def _repr_latex_(self):
        return "$\\\\displaystyle " + str(self.data).strip("$") + "$"


class SVG(DisplayObject):
    def _repr_svg_(self):
        data = self.data
        return data.decode("utf-8") if isinstance(data, bytes) else data


class JSON(DisplayObject):
    def __init__(self, data=None, **kwargs):
        if isinstance(data, str):
            data = _json.loads(data)
        super().__init__(data=data, **kwargs)

    def _repr_json_(self):
        return self.data


class Pretty(DisplayObject):
    def __repr__(self):
        return str(self.data)


class Image(DisplayObject):
    _binary = True

    def __init__(self, data=None, url=None, filename=None, format=None, embed=None, width=None, height=None, **kwargs):
        if isinstance(data, str) and filename is None and not data.lstrip().startswith("<"):
            filename, data = data, None
        super().__init__(data=data, url=url, filename=filename)
        name = (filename or "").lower()
        fmt = (format or "").lower()
        if fmt in ("jpg", "jpeg") or name.endswith((".jpg", ".jpeg")) or (isinstance(self.data, bytes) and self.data[:3] == b"\\xff\\xd8\\xff"):
            self.format = "jpeg"
        else:
            self.format = "png"

    def _repr_png_(self):
        return self.data if self.format == "png" else None

    def _repr_jpeg_(self):
        return self.data if self.format == "jpeg" else None
'''


_MICROPIP = '''
"""micropip for this sandbox (the real one needs the network, which the
sandbox does not have). install() takes pure-Python wheels from files in
/mnt/data (upload the .whl first) and packages of Pyodide's package list."""
import os as _os

async def install(requirements, keep_going=False, deps=True, **_ignored):
    import pyodide_js
    from ci_runtime import install_wheel
    if isinstance(requirements, str):
        requirements = [requirements]
    for req in requirements:
        req = str(req).strip()
        if "://" in req:
            raise ValueError(
                f"micropip.install({req!r}): the Python sandbox has no network access. Download the "
                "wheel, upload it to the chat, then micropip.install('/mnt/data/<file>.whl').")
        if req.endswith(".whl"):
            path = req if _os.path.isabs(req) else _os.path.join("/mnt/data", req)
            if not _os.path.isfile(path):
                raise FileNotFoundError(f"micropip.install: no file {path} (upload the wheel first)")
            with open(path, "rb") as f:
                result = install_wheel(path, f.read())
            if not result["ok"]:
                raise ValueError(f"micropip.install: {result['error']}")
            continue
        name = req.split("==")[0].split(">")[0].split("<")[0].split("[")[0].strip()
        await pyodide_js.loadPackage(name)

def list():
    import importlib.metadata as md
    return {d.metadata["Name"]: d.version for d in md.distributions()}
'''


class _ShimFinder:
    """Serves IPython.display and micropip from our own source. IPython: so
    the display() that LLM-written code imports from IPython shows in the
    chat (the real IPython, even if installed, has no kernel here and would
    only print reprs). micropip: the real one fetches from the network. It
    sits first on sys.meta_path."""

    NAMES = ("IPython", "IPython.display", "IPython.core", "IPython.core.display", "micropip")

    def find_spec(self, name, path=None, target=None):
        if name not in self.NAMES:
            return None
        import importlib.util
        return importlib.util.spec_from_loader(name, self, is_package=name in ("IPython", "IPython.core"))

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__
        if name in ("IPython", "IPython.core"):
            module.__path__ = []
            if name == "IPython":
                module.display = display
                module.version_info = (0, 0, 0, "ci-shim")
                module.get_ipython = lambda: None
            return
        if name == "micropip":
            code = compile(_MICROPIP, os.path.join(RUNTIME_DIR, "micropip.py"), "exec")
        else:
            code = compile(_IPYTHON_DISPLAY, os.path.join(RUNTIME_DIR, "ipython_display.py"), "exec")
        exec(code, module.__dict__)


# ----------------------------------------------------------------- setup ---

def setup(options_json="{}"):
    """Once per interpreter: working directory, streams, builtins, hooks."""
    global _setup_done
    _config.update(json.loads(options_json))
    # The file system lives outside wasm memory, so after a memory snapshot
    # is restored these must be made again (the rest survives in memory).
    os.makedirs(DATA_DIR, exist_ok=True)
    os.chdir(DATA_DIR)
    with open(os.path.join(RUNTIME_DIR, "ci_mpl_backend.py"), "w") as f:
        f.write(_MPL_BACKEND)
    if _setup_done:
        return

    sys.stdout = _Stream("stdout", 1)
    sys.stderr = _Stream("stderr", 2)
    sys.stdin = _Stdin()
    sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin
    builtins.input = _input
    builtins.display = display
    builtins.display_table = display_table

    # Matplotlib: our backend (Agg pixels, show() → PNG), chosen before any
    # import of matplotlib, which reads MPLBACKEND.
    if RUNTIME_DIR not in sys.path:
        sys.path.append(RUNTIME_DIR)
    os.environ["MPLBACKEND"] = "module://ci_mpl_backend"

    sys.meta_path.insert(0, _ShimFinder())

    # time.sleep in Pyodide waits in C and ignores the interrupt buffer, so a
    # sleeping cell could not be stopped. Sleeping in 50 ms slices lets the
    # interpreter check for KeyboardInterrupt between them.
    real_sleep = time.sleep

    def sleep(seconds):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        run = _run
        if run is not None:
            run.flush()  # what was printed before a pause shows during it
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            real_sleep(min(left, 0.05))

    sleep.__doc__ = real_sleep.__doc__
    time.sleep = sleep

    # A very deep recursion overflows the JavaScript stack and kills the
    # whole interpreter (all variables lost). Capping the limit turns that
    # into a RecursionError the code can see.
    real_setrecursionlimit = sys.setrecursionlimit

    def setrecursionlimit(limit):
        cap = int(_config["max_recursion_limit"])
        if isinstance(limit, int) and limit > cap:
            _warn(f"sys.setrecursionlimit({limit}) was lowered to {cap}: deeper recursion would "
                  "overflow the browser's stack and restart Python")
            limit = cap
        real_setrecursionlimit(limit)

    sys.setrecursionlimit = setrecursionlimit
    _setup_done = True


# ------------------------------------------------------------- packages ---

def imports_of(code):
    """Top-level module names the code imports that are not loaded yet."""
    try:
        from pyodide.code import find_imports
        names = find_imports(code)
    except Exception:  # a SyntaxError is reported when the cell runs
        return []
    out = []
    for name in names:
        top = name.split(".")[0]
        if top in _ShimFinder.NAMES:  # served by the runtime, never downloaded
            continue
        if top and top not in sys.modules and top not in out:
            out.append(top)
    return out


def invalidate_caches():
    import importlib
    importlib.invalidate_caches()


def install_wheel(filename, data):
    """Installs a pure-Python wheel (bytes) into site-packages.

    Returns {"ok", "name", "error"?}. Refuses wheels with compiled code: they
    would not run in WebAssembly unless built for it (those come through the
    package index instead).
    """
    import importlib
    import re
    import site
    import zipfile

    base = os.path.basename(filename)
    m = re.match(r"^(?P<name>[^-]+)-(?P<ver>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$", base)
    if not m:
        return {"ok": False, "name": "", "error": f"{base} is not a wheel file name (name-version-python-abi-platform.whl)"}
    name = m.group("name")
    if m.group("plat") != "any" or m.group("abi") != "none":
        return {"ok": False, "name": name, "error": f"{base} contains compiled code for {m.group('plat')}; "
                "only pure-Python wheels (…-none-any.whl) can be installed here"}
    try:
        zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    except zipfile.BadZipFile as e:
        return {"ok": False, "name": name, "error": f"{base} is not a valid wheel (zip): {e}"}
    target = site.getsitepackages()[0]
    with zf:
        names = zf.namelist()
        if not any(n.endswith(".dist-info/WHEEL") for n in names):
            return {"ok": False, "name": name, "error": f"{base} has no .dist-info/WHEEL: not a wheel"}
        for n in names:
            if n.startswith("/") or ".." in n.split("/"):
                return {"ok": False, "name": name, "error": f"{base} holds an unsafe path: {n}"}
            if n.endswith((".so", ".pyd", ".dll", ".dylib")):
                return {"ok": False, "name": name, "error": f"{base} holds compiled code ({n}): not pure Python"}
        wheel_meta = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        if b"Root-Is-Purelib: true" not in zf.read(wheel_meta).replace(b"\r", b""):
            return {"ok": False, "name": name, "error": f"{base} is not marked Root-Is-Purelib: true"}
        zf.extractall(target)
    importlib.invalidate_caches()
    return {"ok": True, "name": name}


# ------------------------------------------------------------------ run ---

def _cell_frame(fs):
    return fs.filename.startswith("<cell ")


def _ours(fs):
    return fs.filename.startswith(RUNTIME_DIR + "/")


def _pyodide_internal(fs):
    return "/_pyodide/" in fs.filename or "/pyodide/" in fs.filename


def _trim(te, seen):
    """Drops frames of Pyodide and of this runtime: the user sees their code."""
    if te is None or id(te) in seen:
        return
    seen.add(id(te))
    frames = list(te.stack)
    start = next((i for i, fs in enumerate(frames) if _cell_frame(fs)), None)
    if start is not None:
        frames = frames[start:]
    # Pyodide's own layers (its time.sleep, the event loop) say nothing to
    # the user; neither do ours.
    frames = [fs for fs in frames if not _ours(fs) and not _pyodide_internal(fs)]
    te.stack[:] = frames
    _trim(te.__cause__, seen)
    _trim(te.__context__, seen)
    for sub in getattr(te, "exceptions", None) or ():
        _trim(sub, seen)


def describe_error(exc):
    """exception → {type, message, traceback}, traceback trimmed to the user's code."""
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    _trim(te, set())
    if isinstance(exc, SyntaxError) and not te.stack:
        # As Python shows it: file, line, the caret, the message.
        text = "".join(te.format_exception_only())
    else:
        text = "".join(te.format())
    if isinstance(exc, SyntaxError):
        message = f"{exc.msg} (line {exc.lineno})" if exc.lineno else str(exc.msg)
    else:
        try:
            message = str(exc)
        except Exception:
            message = f"<{type(exc).__name__}: str() failed>"
    return {"type": type(exc).__name__, "message": message, "traceback": text}


_cell_count = 0
_task = None


def cancel_current():
    """Stops a cell that waits in an await (the interrupt buffer is only seen
    while Python runs): cancels its task. Returns True if one was waiting."""
    task = _task
    if task is not None and not task.done():
        task.cancel()
        return True
    return False


_CO_COROUTINE = 0x80  # inspect.CO_COROUTINE: the cell awaits at top level


class _Cell:
    """A cell compiled for run_cell: its statements, then its last expression
    apart, whose value is the cell's result (as IPython runs a cell).

    Not Pyodide's CodeRunner, which returns that value by rewriting the last
    expression into `raise ___EvalCodeResultException[0](value)` made from a
    deep copy of a template AST, then fixing every node's location, and which
    tokenizes every cell to see whether it ends with ';'. In wasm run_cell of
    `1+1` took ~240 us that way and takes ~90 us this way (bench/README.md,
    the round trip).
    Here: one parse, two code objects, the ';' check only for a text that has
    one. The same rules: the text is dedented, a last expression followed by
    ';' gives no result, and either part may await at top level.
    """

    __slots__ = ("body", "last", "is_async")

    def __init__(self, source, filename):
        from _pyodide._base import should_quiet
        from textwrap import dedent

        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        source = dedent(source)  # what CodeRunner does with mis-indented text
        mod = compile(source, filename, "exec", flags | ast.PyCF_ONLY_AST)
        last = None
        if mod.body and isinstance(mod.body[-1], ast.Expr) and not (";" in source and should_quiet(source)):
            last = ast.Expression(mod.body.pop().value)
        self.body = compile(mod, filename, "exec", flags) if mod.body else None
        self.last = compile(last, filename, "eval", flags) if last is not None else None
        self.is_async = any(c is not None and c.co_flags & _CO_COROUTINE for c in (self.body, self.last))

    def run(self, g):
        if self.body is not None:
            exec(self.body, g)
        return None if self.last is None else eval(self.last, g)

    async def run_async(self, g):
        for code in (self.body, self.last):
            if code is None:
                continue
            value = eval(code, g)
            if code.co_flags & _CO_COROUTINE:
                value = await value
        return value if self.last is not None else None


def _open_cell(code, hooks):
    """A new cell: its _Run (made current) and its compiled _Cell, or a SyntaxError's description."""
    global _run, _cell_count
    _cell_count += 1
    filename = f"<cell {_cell_count}>"
    run = _Run(hooks, int(_config["output_limit"]))
    _run = run
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        cell = _Cell(code, filename)
    except SyntaxError as e:
        return run, None, describe_error(e)
    return run, cell, None


def _close_cell(run, runner, value, exc, error, package_problems):
    """The cell's answer from what it returned or raised; figures shown; output flushed."""
    global _run
    status, result = ("ok", None) if runner is not None else ("error", None)
    try:
        if runner is not None:
            if exc is None:
                if value is not None:
                    builtins._ = value
                    bundle = format_object(value)
                    result = bundle.get("text/plain")
                    rich = _best({m: d for m, d in bundle.items() if m != "text/plain"})
                    if rich is not None:
                        run.output(rich, bundle[rich])
            else:
                status, error = _classify(exc, dict(package_problems or {}))
        show_figures()
    except BaseException as e:  # our own failure: report it, never hide it
        status, result = "error", None
        error = _internal(e)
    finally:
        try:
            run.finish()
        finally:
            _run = None
    return {"status": status, "result": result, "error": error}


def _internal(exc):
    error = describe_error(exc)
    error["message"] = "internal error of the Python runner: " + error["message"]
    return error


def run_cell(code, hooks, package_problems=None):
    """Runs one cell. hooks: JS {text(stream, s), output(mime, data), interrupts(on)}.

    Returns {status, result, error}; stdout/stderr/outputs went out through
    the hooks as they happened. A cell that awaits at top level gets a
    coroutine instead, which returns that dict (the runner awaits it): only
    such a cell pays the event loop's round trips, and only it can wait, so
    only it needs cancel_current().
    """
    global _run
    try:
        run, runner, error = _open_cell(code, hooks)
    except BaseException as e:  # our own failure: report it, never hide it
        _run = None
        return {"status": "error", "result": None, "error": _internal(e)}
    if runner is not None and runner.is_async:
        return _run_awaiting(run, runner, package_problems)
    value = exc = None
    if runner is not None:
        hooks.interrupts(True)
        try:
            try:
                value = runner.run(sys.modules["__main__"].__dict__)
            finally:
                hooks.interrupts(False)
        except BaseException as e:  # noqa: B036 — KeyboardInterrupt and SystemExit too
            exc = e
    return _close_cell(run, runner, value, exc, error, package_problems)


async def _run_awaiting(run, runner, package_problems):
    """The rest of run_cell for a cell that awaits at top level."""
    import asyncio

    global _task
    value = exc = None
    run.hooks.interrupts(True)
    try:
        try:
            # Awaited in this task, not in a new one: asyncio re-raises a
            # KeyboardInterrupt out of a task's step into the event loop,
            # where nothing could catch it.
            _task = asyncio.current_task()
            value = await runner.run_async(sys.modules["__main__"].__dict__)
        finally:
            run.hooks.interrupts(False)
    except BaseException as e:  # noqa: B036 — KeyboardInterrupt and SystemExit too
        exc = e
    finally:
        _task = None
    return _close_cell(run, runner, value, exc, None, package_problems)


def _classify(exc, package_problems):
    import asyncio
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None or code == 0:
            sys.stderr.write("[sys.exit() ended the code early; Python keeps running and variables are kept]\n")
            return "ok", None
        return "error", {"type": "SystemExit",
                         "message": f"the code called sys.exit({code!r}); Python keeps running and variables are kept",
                         "traceback": ""}
    if isinstance(exc, asyncio.CancelledError):
        # cancel_current() during an await: the same as an interrupt.
        return "cancelled", {"type": "KeyboardInterrupt", "message": "the run was stopped while it was waiting",
                             "traceback": ""}
    error = describe_error(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "cancelled", error
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        why = package_problems.get(top)
        if why:
            error["message"] += f" ({why})"
        elif top not in sys.stdlib_module_names and top not in sys.modules:
            error["message"] += f" ({_not_installed_hint(top)})"
    return "error", error


def _not_installed_hint(top):
    """What is true of a module that is not installed: whether the host can install it from a package index.

    ci_packages.index_configured is what the host last said (None: not asked
    yet in this interpreter, e.g. an importlib call is never offered before
    the cell); without ci_packages there is no host to install from.
    """
    packages = sys.modules.get("ci_packages")
    index = getattr(packages, "index_configured", False) if packages else False
    if index is False:
        return ("it is not installed in this sandbox and there is no network to install it; "
                "use the standard library or the packages listed as available")
    name = packages.package_for_import(top)
    how = (f"`%pip install {name}` at the start of a cell, or `await micropip.install(\"{name}\")`; "
           "the page fetches it and the user is asked first")
    if index:
        return f"it is not installed in this sandbox; install it from the configured package index: {how}"
    return ("it is not installed in this sandbox, and Python has no network; if a package index is configured, "
            f"{how}; otherwise use the standard library or the packages listed as available")
