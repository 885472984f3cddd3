"""The one protocol resolver: what a protocol reference names, wherever it is written.

A reference is one of

- ``VARIANT``: a shipped variant of the drug in hand (``us-label``, ``eu-smpc``, ``nhs-lanarkshire``);
- ``DRUG/VARIANT``: a shipped variant named with its drug (``baricitinib/nhs-lanarkshire``), or a shipped
  guideline fragment (``common/eular-ra``);
- ``PATH.toml``: a protocol file, relative to the file or folder that names it (the current folder for an
  option typed on the command line).

The same rule serves ``--protocol``, ``extends``, ``[[include]]``, the ``protocol`` key of profiles and plan
files, CSV cells and ``protocols show``.

Confinement: a reference read from data (a plan file, a CSV cell, a protocol's ``extends`` / ``include``)
may name only a shipped protocol or a file under the referencing file's folder (or under a folder the user
named with ``--protocol-dir``). A path typed on the command line is the user's own choice and is not confined.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from jakplan.catalog.files import data_path
from jakplan.catalog.names import did_you_mean, suggest
from jakplan.catalog.vocab import drugs, shipped_protocols
from jakplan.errors import JakplanError

_SHIPPED_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Confinement(NamedTuple):
    """The folders a reference read from data may point into (shipped data is always allowed)."""

    roots: tuple[Path, ...]

    @classmethod
    def around(cls, referrer: Path | str, extra: tuple[Path, ...] = ()) -> "Confinement":
        """The folder of the file that holds the reference, plus folders the user named."""
        return cls((Path(referrer).resolve().parent,) + tuple(Path(e).resolve() for e in extra))

    def allows(self, path: Path) -> bool:
        real = path.resolve()
        return any(real.is_relative_to(r) for r in self.roots + (data_path(),))


def is_path(ref: str) -> bool:
    """A reference is a file path when it ends with .toml (or has a folder part that is not DRUG/VARIANT)."""
    return ref.endswith(".toml") or "\\" in ref or ref.count("/") > 1 or ref.startswith((".", "/", "~"))


def stored_reference(ref: str, holder: Path | str) -> str:
    """The reference to write into the file ``holder`` (a plan file) for ``ref`` as typed on the command line:
    a shipped name as it is; a path made relative to ``holder``'s folder, so that reading it back (relative to
    that folder, confined to it) finds the same file from any working folder. A path outside that folder is
    refused now, with one line, rather than stored and refused on every later read."""
    if not is_path(ref):
        return ref
    target = Path(os.path.expanduser(ref)).resolve()
    folder = Path(holder).resolve().parent
    if not target.is_relative_to(folder):
        raise JakplanError(f"protocol '{ref}' is not in the plan file's folder ({folder}); a plan file may name "
                           f"only a shipped protocol or a file in its own folder: copy the protocol there")
    return target.relative_to(folder).as_posix()


def _canonical_variant(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(" ", "-")


def shipped_path(drug: str, variant: str) -> Path:
    return data_path() / "protocols" / drug / f"{variant}.toml"


def resolve(ref: str, drug: str | None, base: Path | str | None = None,
            confine: Confinement | None = None) -> Path:
    """The file a protocol reference names (see the module docstring); raises JakplanError naming ``ref``.

    ``drug`` is the drug in hand (for a bare VARIANT); ``base`` the folder a relative path is relative to;
    ``confine`` limits where a reference read from data may point.
    """

    if not isinstance(ref, str) or not ref.strip():
        raise JakplanError(f"protocol reference {ref!r} is empty; give a variant (e.g. us-label), DRUG/VARIANT or a .toml path")
    if is_path(ref):
        path = Path(os.path.expanduser(ref)) if confine is None else Path(ref)
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if confine is not None and not confine.allows(path):
            raise JakplanError(f"protocol '{ref}': a protocol named in a file must be shipped or lie in that file's "
                               f"folder ({confine.roots[0]}); refusing to open it")
        return path
    if "/" in ref:
        d, v = ref.split("/", 1)
        d = d.strip().lower()
    else:
        if drug is None:
            raise JakplanError(f"protocol '{ref}': name the drug too (e.g. baricitinib/{ref}) or give --drug")
        d, v = drug, ref
    v = _canonical_variant(v)
    if d == "common":
        path = data_path() / "protocols" / "common" / f"{v}.toml"
        if _SHIPPED_NAME.match(v) and path.is_file():
            return path
        raise JakplanError(f"unknown guideline fragment 'common/{v}'")
    if d not in drugs():

        near = did_you_mean(suggest(d, drugs()))
        drug_list = f"known drugs: {', '.join(sorted(drugs()))}"
        raise JakplanError(f"protocol '{ref}': unknown drug '{d}'" + (f"{near} ({drug_list})" if near else f"; {drug_list}"))
    if drug is not None and d != drug:
        raise JakplanError(f"protocol '{ref}' is a {d} protocol, not {drug}")
    known = shipped_protocols(d)
    if v not in known:

        hint = did_you_mean(suggest(v, known))  # 'eu' -> eu-smpc, 'us-lable' -> us-label
        listed = f"{', '.join(known)} (or a path to a .toml file)"
        raise JakplanError(f"unknown protocol '{ref}' for {d}" + (f"{hint} (known: {listed})" if hint else f"; known: {listed}"))
    return shipped_path(d, v)
