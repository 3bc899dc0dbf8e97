"""ISDi's app-flags list (stopipv/isdi ``app-flags.csv``, MIT): ``appId,store,flag,title``.

``flag`` is ``dual-use`` (an ordinary app that can be turned to spying: location sharing,
phone finders, parental controls), ``stalkerware``, ``spyware`` or ``safe``. All three risky
flags are kept (ISDi 1.0.9 itself drops the stalkerware rows on load). Dual-use apps become
families of type ``dual-use``, a weaker class that reports present as "worth a conversation",
not as spyware; ``safe`` rows are not indicators and are skipped.

``store`` says where the id lives: ``playstore`` / ``offstore`` ids are Android package names,
``appstore`` ids are iOS bundle ids (a leading Apple Team ID, ``ABCDE12345.``, is removed).
Stalkerware and spyware rows are grouped by their first title so they can join the family of
the same name from other feeds; each dual-use app is its own family.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from stalkerscan.signatures import model as m
from stalkerscan.signatures.builder import FamilyBuilder
from stalkerscan.signatures.importers.base import CsvImporter, ImportContext
from stalkerscan.signatures.model import Family, SignatureProblem
from stalkerscan.signatures.normalize import slugify, strip_team_id

ISDI_REFERENCE = "https://github.com/stopipv/isdi"
ISDI_LICENCE = "MIT"
HEADER = ("appId", "store", "flag", "title")
_TYPES = {"dual-use": "dual-use", "stalkerware": "stalkerware", "spyware": "spyware"}


class IsdiFlagsImporter(CsvImporter):
    """ISDi ``app-flags.csv``."""

    format = "isdi-app-flags"
    description = "ISDi app-flags CSV (dual-use / stalkerware / spyware apps)"

    header = HEADER

    def read_rows(self, rows: Iterator[tuple[int, list[str]]], path: Path,
                  context: ImportContext | None,
                  problems: list[SignatureProblem]) -> tuple[Family, ...]:
        display = self.display(path, context)
        provenance = self.provenance(path, context, source="isdi-app-flags", licence=ISDI_LICENCE,
                                     reference=ISDI_REFERENCE)
        builders: dict[str, FamilyBuilder] = {}
        skipped_safe = 0
        for line, (app_id, store, flag, title) in rows:
            flag = flag.lower()
            if flag == "safe":
                skipped_safe += 1
                continue
            family_type = _TYPES.get(flag)
            if family_type is None:
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "unknown-flag",
                                                 f"flag {flag!r} is not dual-use, stalkerware, spyware "
                                                 f"or safe; row skipped", f"{display}:{line}"))
                continue
            names = [t.strip() for t in title.split(",") if t.strip()] or [app_id]
            if family_type == "dual-use":
                key = f"dual-use:{store}:{app_id}"
                family_id = f"dual-use-{slugify(app_id)}"
            else:
                key = f"{family_type}:{slugify(names[0])}"
                family_id = slugify(names[0])
            b = builders.get(key)
            if b is None:
                b = FamilyBuilder(family_id=family_id, name=names[0], family_type=family_type,
                                  provenance=provenance, location=f"{display}:{line}",
                                  problems=problems, id_from_name=family_type != "dual-use")
                b.references = [ISDI_REFERENCE]
                builders[key] = b
            b.aliases.extend(n for n in names[1:] if n not in b.aliases)
            if store == "appstore":
                b.add_bundle_id(strip_team_id(app_id), line)
            elif store in ("playstore", "offstore"):
                b.add_package(app_id, line)
            else:
                problems.append(SignatureProblem(m.SEVERITY_WARNING, "unknown-store",
                                                 f"store {store!r} is not playstore, offstore or "
                                                 f"appstore; row skipped", f"{display}:{line}"))
        if skipped_safe:
            problems.append(SignatureProblem(m.SEVERITY_NOTE, "safe-rows",
                                             f"{skipped_safe} row(s) flagged 'safe' are not indicators; "
                                             f"skipped", display))
        return tuple(b.build() for b in builders.values() if not b.is_empty())
