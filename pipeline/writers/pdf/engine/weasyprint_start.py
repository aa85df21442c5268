"""WeasyPrint's start without pycparser (its C declarations compiled once) and without fontTools' subsetter.

`import weasyprint` spent about 0.37 s in pycparser parsing the C declarations in
weasyprint/text/ffi.py (`ffi.cdef(...)`), at every start of every PDF worker. cffi's out-of-line
ABI mode (`set_source(name, None)`, then `emit_python_code`) turns those declarations into plain
data once; an FFI built from that data needs no parser. The data is kept as JSON (read, never run)
in chapbook's cache folder (`engine/weasyprint_ffi.json`, see pipeline/writers/pdf/engine/__init__.py),
keyed on WeasyPrint's and cffi's versions and the exact declaration text; the first start that
finds it missing or stale writes it (that start parses, as it would have anyway), if the cache
folder is writable. `make` warms it (`python -m pipeline.writers.pdf.engine.weasyprint_start`).

WeasyPrint stays unmodified on disk: `import_weasyprint()` runs weasyprint/text/ffi.py as it is,
with `cffi.FFI()` answering, for that one module, with an FFI made from the compiled data whose
`cdef()` only checks that it is handed the very text it was compiled from. Any mismatch (another
WeasyPrint or cffi, other declarations, a broken file that cannot be rewritten) runs the module
the usual way: slower, never different. (Reach `compiled_ffi`.)

weasyprint.pdf.fonts imports fontTools.subset (about 40 modules) at start, but calls it only where
HarfBuzz's own subsetter (libharfbuzz-subset0, which `make system` installs) is missing: it is put
in place as a module that loads on first use (importlib.util.LazyLoader). It also imports
fontTools.varLib.instancer (and with it fontTools.varLib, 65 ms) for the one function it calls on
variable fonts: that function is a stand-in that imports them when first called (defer_functions).
(Reach `lazy_fonttools`.)
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import logging
import sys
from pathlib import Path
from types import ModuleType

from pipeline.writers.pdf.engine import data_folder, reach_on

log = logging.getLogger("chapbook")

ARTEFACT_NAME = "weasyprint_ffi.json"
FFI_MODULE = "weasyprint.text.ffi"
FORMAT = 2  # of the generated data; a change here makes every older one stale
LAZY_MODULES = ("fontTools.subset",)
# Modules WeasyPrint imports a function from at start but calls only for some fonts: the function is
# a stand-in until then (variable fonts only; the book's faces are static). 65 ms of every start.
DEFERRED_FUNCTIONS = {"fontTools.varLib.instancer": ("instantiateVariableFont",)}


class StaleDeclarations(Exception):
    """The compiled declarations are not those WeasyPrint declares: run its module the usual way."""


def declaration_digest(text: str) -> str:
    """The key of a cdef text: its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _compiled_ffi_class():
    import _cffi_backend

    class CompiledFFI(_cffi_backend.FFI):
        """An FFI made from compiled declarations; cdef() accepts only the text they were compiled from."""

        def __init__(self, digest: str, *arguments, **keywords) -> None:
            super().__init__(*arguments, **keywords)
            self._digest = digest
            self.declared = False

        def cdef(self, csource: str, override: bool = False, packed: bool = False, pack=None) -> None:
            if self.declared or override or packed or pack is not None or declaration_digest(csource) != self._digest:
                raise StaleDeclarations("WeasyPrint declares other C functions than those compiled")
            self.declared = True

    return CompiledFFI


def artefact_path() -> Path:
    """Where the compiled declarations are kept: chapbook's cache folder."""
    return data_folder() / ARTEFACT_NAME


def _as_json(value):
    """cffi's FFI arguments (bytes, ints, tuples) as JSON values: bytes as latin-1 text, tuples as lists."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, tuple):
        return [_as_json(item) for item in value]
    return value


def _from_json(value):
    """The inverse of _as_json."""
    if isinstance(value, str):
        return value.encode("latin-1")
    if isinstance(value, list):
        return tuple(_from_json(item) for item in value)
    return value


def _load_artefact(path: Path) -> dict | None:
    """The generated data at `path`, or None if it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["KEYWORDS"] = {name: _from_json(value) for name, value in data["KEYWORDS"].items()}
        data["ARGUMENTS"] = tuple(data["ARGUMENTS"])
        return data
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.debug("%s: not used (%s)", path, error)
        return None


def _key(artefact: dict) -> tuple:
    return tuple(artefact.get(name) for name in ("FORMAT", "WEASYPRINT_VERSION", "CFFI_VERSION", "CDEF_SHA256"))


def _current_versions() -> tuple[str | None, str, str]:
    import _cffi_backend
    import cffi

    weasyprint = sys.modules.get("weasyprint")  # being imported: its __init__ sets __version__ first
    return getattr(weasyprint, "__version__", None), cffi.__version__, _cffi_backend.__version__


def compiled_ffi(path: Path):
    """An FFI for WeasyPrint's declarations made from the generated module at `path`, or None if it is stale."""
    artefact = _load_artefact(path)
    if artefact is None:
        return None
    weasyprint_version, cffi_version, backend_version = _current_versions()
    if _key(artefact)[:3] != (FORMAT, weasyprint_version, cffi_version) or backend_version != cffi_version:
        log.debug("%s: made for another WeasyPrint or cffi; WeasyPrint parses its declarations", path)
        return None
    return _compiled_ffi_class()(artefact["CDEF_SHA256"], *artefact["ARGUMENTS"], **artefact["KEYWORDS"])


class _CompiledFFILoader(importlib.abc.Loader):
    """Runs weasyprint/text/ffi.py with cffi.FFI() answering with the compiled FFI; else the usual way."""

    def __init__(self, loader: importlib.abc.Loader, artefact: Path) -> None:
        self.loader = loader
        self.artefact = artefact

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        initial = dict(module.__dict__)
        for attempt in range(2):
            compiled = compiled_ffi(self.artefact)
            if compiled is not None and self._run_with(compiled, module):
                return
            module.__dict__.clear()
            module.__dict__.update(initial)
            # Missing or stale (the first start after an install or an upgrade): compile the
            # declarations now, which costs what the usual start costs, and use them.
            if attempt or not _regenerate(self.artefact):
                break
        self.loader.exec_module(module)

    def _run_with(self, compiled, module: ModuleType) -> bool:
        """Run WeasyPrint's module with `compiled` as its FFI; False if that did not work out."""
        import cffi

        original = cffi.FFI
        handed = []

        def first_ffi(*arguments, **keywords):
            if handed or arguments or keywords:
                return original(*arguments, **keywords)
            handed.append(compiled)
            return compiled

        cffi.FFI = first_ffi
        try:
            self.loader.exec_module(module)
        except Exception as error:  # noqa: BLE001 - any surprise: the usual way decides, and raises if it must
            log.debug("%s: compiled declarations not used (%s)", FFI_MODULE, error)
            return False
        finally:
            cffi.FFI = original
        return compiled.declared


def _regenerate(artefact: Path) -> bool:
    """Write the compiled declarations if they are missing or stale; False if they were current or cannot be written."""
    try:
        return generate(artefact)
    except Exception as error:  # noqa: BLE001 - a read-only install, no pycparser: the usual start
        log.debug("%s: cannot write the compiled declarations (%s)", artefact, error)
        return False


class _Finder(importlib.abc.MetaPathFinder):
    """Finds WeasyPrint's own modules as usual, then wraps the loader of the one that declares its C functions."""

    def __init__(self, artefact: Path) -> None:
        self.artefact = artefact

    def find_spec(self, fullname, path, target=None):
        if fullname != FFI_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        spec.loader = _CompiledFFILoader(spec.loader, self.artefact)
        return spec


def load_lazily(name: str) -> None:
    """Put module `name` in sys.modules as one that runs on its first attribute access; nothing if already there."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)  # what an import of the submodule does


class DeferredModule(ModuleType):
    """Stands in sys.modules for a module not loaded yet; anything but its stand-in functions loads it."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system asks for __path__ and others: a plain module has none
            raise AttributeError(name)
        return getattr(load_deferred(self.__name__), name)


def load_deferred(name: str) -> ModuleType:
    """The real module `name`, imported now if a DeferredModule stood for it."""
    if isinstance(sys.modules.get(name), DeferredModule):
        del sys.modules[name]
    return importlib.import_module(name)


def defer_functions(name: str, functions: tuple[str, ...]) -> None:
    """Put a DeferredModule for `name` in sys.modules whose `functions` load the module when first called.

    Unlike load_lazily, neither the module nor its package is imported now (`from m import f` would
    load a lazy module at once). Nothing is done if the module is loaded already.
    """
    if name in sys.modules:
        return
    module = DeferredModule(name)
    for function in functions:
        def stand_in(*args, _function=function, **keywords):
            return getattr(load_deferred(name), _function)(*args, **keywords)
        stand_in.__name__ = stand_in.__qualname__ = function
        setattr(module, function, stand_in)
    sys.modules[name] = module


def import_weasyprint(artefact: Path | None = None) -> ModuleType:
    """Import WeasyPrint, its C declarations made from `artefact` (by default in the cache folder) when that
    is current, some of fontTools lazily; each as CHAPBOOK_ENGINE allows."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    if reach_on("lazy_fonttools"):
        for name in LAZY_MODULES:
            load_lazily(name)
        for name, functions in DEFERRED_FUNCTIONS.items():
            defer_functions(name, functions)
    if not reach_on("compiled_ffi"):
        import weasyprint

        return weasyprint
    finder = _Finder(artefact or artefact_path())
    sys.meta_path.insert(0, finder)
    from pipeline.writers.pdf.system_libraries import explained_library_errors

    try:
        with explained_library_errors():  # Pango or HarfBuzz missing: one line saying how to install them
            import weasyprint
    finally:
        sys.meta_path.remove(finder)
    return weasyprint


def weasyprint_declarations() -> str:
    """The text WeasyPrint's ffi.py hands to `ffi.cdef`, read from its source without running it."""
    import ast

    spec = importlib.util.find_spec("weasyprint")  # the package's folder, without importing it
    if spec is None or not spec.submodule_search_locations:
        raise StaleDeclarations("WeasyPrint is not installed")
    source = Path(next(iter(spec.submodule_search_locations))) / "text" / "ffi.py"
    calls = [node for node in ast.walk(ast.parse(source.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "cdef"]
    declared = calls[0].args if len(calls) == 1 and not calls[0].keywords else []
    if len(declared) != 1 or not isinstance(declared[0], ast.Constant) or not isinstance(declared[0].value, str):
        raise StaleDeclarations(f"{source}: not one ffi.cdef() of a constant text")
    return declared[0].value


def artefact_text(declarations: str, weasyprint_version: str) -> str:
    """The generated data for `declarations` (JSON): the key, then the arguments of the FFI cffi would build."""
    import ast
    import contextlib
    import io
    import tempfile

    import cffi

    builder = cffi.FFI()
    builder.set_source("_chapbook_weasyprint_ffi", None)
    builder.cdef(declarations)
    with tempfile.TemporaryDirectory() as folder:
        emitted = Path(folder) / "emitted.py"
        with contextlib.redirect_stdout(io.StringIO()):  # cffi prints "generating <file>"
            builder.emit_python_code(str(emitted))
        tree = ast.parse(emitted.read_text(encoding="utf-8"))
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "FFI"]
    if len(calls) != 1:
        raise StaleDeclarations(f"cffi {cffi.__version__} emits no single FFI(...) call")
    arguments = tuple(ast.literal_eval(argument) for argument in calls[0].args)
    keywords = {keyword.arg: ast.literal_eval(keyword.value) for keyword in calls[0].keywords}
    data = {"FORMAT": FORMAT, "WEASYPRINT_VERSION": weasyprint_version, "CFFI_VERSION": cffi.__version__,
            "CDEF_SHA256": declaration_digest(declarations), "ARGUMENTS": list(arguments),
            "KEYWORDS": {name: _as_json(value) for name, value in keywords.items()}}
    if any(not isinstance(argument, str) for argument in arguments) or \
            {name: _from_json(value) for name, value in data["KEYWORDS"].items()} != keywords:
        raise StaleDeclarations(f"cffi {cffi.__version__} emits FFI arguments JSON does not keep")
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def is_current(artefact: Path, declarations: str) -> bool:
    """Whether `artefact` was generated from `declarations` for the installed WeasyPrint and cffi."""
    from importlib.metadata import version

    data = _load_artefact(artefact)
    return data is not None and _key(data) == (FORMAT, version("weasyprint"), version("cffi"),
                                                declaration_digest(declarations))


def generate(artefact: Path | None = None) -> bool:
    """Write the compiled declarations for the installed WeasyPrint and cffi to `artefact` (by default in the
    cache folder), unless current.

    Returns whether it wrote. Runs pycparser once (about half a second).
    """
    from importlib.metadata import version

    from pipeline.files.atomic import atomic_write

    artefact = artefact or artefact_path()
    declarations = weasyprint_declarations()
    if is_current(artefact, declarations):
        return False
    atomic_write(artefact, artefact_text(declarations, version("weasyprint")).encode("utf-8"))
    return True


def main() -> None:
    """`python -m pipeline.writers.pdf.engine.weasyprint_start [PATH]`: generate the compiled declarations.

    `make` runs it, to warm the cache folder.
    """
    artefact = Path(sys.argv[1]) if len(sys.argv) > 1 else artefact_path()
    wrote = generate(artefact)
    print(f"{artefact}: {'written' if wrote else 'current'}")


if __name__ == "__main__":
    main()
