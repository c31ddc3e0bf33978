"""The layers of docs/ARCHITECTURE.md, checked from the code: every module under src/gfpose has one,
and no module imports a module of a higher layer (imports inside functions included)."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "gfpose"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"


def documented_layers() -> dict[str, int]:
    """'cli.py' or 'media/' (everything under it) -> its layer, from the Layers table's rows."""
    section = ARCHITECTURE.read_text().split("## Layers", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for rank, modules in re.findall(r"^\| *(\d+) [^|]*\|([^|]*)\|", section, flags=re.M):
        for entry in re.findall(r"`([^`]+)`", modules):
            assert entry not in layers, f"{entry} is in two rows of the Layers table"
            layers[entry] = int(rank)
    return layers


def module_files() -> dict[str, Path]:
    """'gfpose.media.lift' -> its file, for every module of the package ('gfpose.media' -> its __init__)."""
    files = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ("gfpose", *path.relative_to(PACKAGE).with_suffix("").parts)
        files[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return files


def layer_of(path: Path, layers: dict[str, int]) -> int | None:
    """The layer of the file's own entry, else of its nearest folder's."""
    relative = path.relative_to(PACKAGE)
    candidates = [relative.as_posix()] + [f"{folder.as_posix()}/" for folder in relative.parents if folder.parts]
    return next((layers[c] for c in candidates if c in layers), None)


def imported_modules(name: str, path: Path, files: dict[str, Path]) -> set[str]:
    """The gfpose modules that the module `name` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found |= {f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names}
    return {module for module in found if module in files}


def test_every_module_has_a_layer_and_every_entry_exists():
    layers = documented_layers()
    assert layers, "docs/ARCHITECTURE.md has no Layers table"
    missing = sorted(str(path.relative_to(PACKAGE)) for path in module_files().values()
                     if layer_of(path, layers) is None)
    assert not missing, f"modules in no layer of docs/ARCHITECTURE.md: {missing}"
    stale = sorted(entry for entry in layers if not (PACKAGE / entry).exists())
    assert not stale, f"docs/ARCHITECTURE.md lists modules that do not exist: {stale}"


def test_no_module_imports_from_a_higher_layer():
    layers, files = documented_layers(), module_files()
    upward = []
    for name, path in sorted(files.items()):
        own = layer_of(path, layers)
        for imported in sorted(imported_modules(name, path, files)):
            other = layer_of(files[imported], layers)
            if own is not None and other is not None and other > own:
                upward.append(f"{name} (layer {own}) imports {imported} (layer {other})")
    assert not upward, "\n".join(upward)


def test_imports_are_resolved_to_modules():
    """`from gfpose import metrics` is the module gfpose.metrics; `from gfpose.tasks import X` is gfpose.tasks."""
    files = module_files()
    found = imported_modules("gfpose.evaluate", files["gfpose.evaluate"], files)
    assert {"gfpose.metrics", "gfpose.tasks"} <= found and "gfpose" not in found
