"""Wheel contents: the zoo's configs and shipped files go inside the package
(ganzoo/_zoo_data/), except the files only evaluation needs (FID reference statistics and the
evaluator classifiers' weights, 77 MB): `ganzoo.assets` finds those in a checkout, the cache
or $GANZOO_REMOTE. Their JSON descriptions (with the SHA-256 each download is checked
against) ship. Keeps the wheel under PyPI's 100 MB file limit."""
from pathlib import Path

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # imported outside a build (the packaging test reads `packaged`)
    BuildHookInterface = object

EVALUATION_ONLY = ("pretrained/reference", "pretrained/evaluators")


def packaged(root):
    """{source path: path in the wheel} for every zoo file the wheel carries."""
    root = Path(root)
    files = {}
    for folder in ("zoo_configs", "pretrained"):
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if not path.is_file() or (relative.startswith(EVALUATION_ONLY)
                                      and path.suffix != ".json"):
                continue
            files[str(path)] = f"ganzoo/_zoo_data/{relative}"
    return files


class ZooDataHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name == "wheel":
            build_data["force_include"].update(packaged(self.root))
