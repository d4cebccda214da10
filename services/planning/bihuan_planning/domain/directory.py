"""Words of the directory as target offices write them in spreadsheets, and rules on units. Pure: no I/O."""
KIND_LABELS = {
    "line_department": "条",
    "territorial": "块",
    "provincial_or_enterprise": "驻区单位",
    "leader_office": "领导办公室",
}
KIND_BY_LABEL = {label: kind for kind, label in KIND_LABELS.items()} | {kind: kind for kind in KIND_LABELS}
# Aliases seen in real spreadsheets.
KIND_BY_LABEL |= {"条线部门": "line_department", "街镇": "territorial", "街道": "territorial", "镇": "territorial",
                  "市属单位": "provincial_or_enterprise", "企业": "provincial_or_enterprise"}

SEPARATORS = ("、", "，", ",", "；", ";", "\n")


def split_names(cell: str | None) -> list[str]:
    """"区科委、区发改委" -> ["区科委", "区发改委"]: the ways a cell lists several units."""
    text = (cell or "").strip()
    for sep in SEPARATORS[1:]:
        text = text.replace(sep, SEPARATORS[0])
    return [part.strip() for part in text.split(SEPARATORS[0]) if part.strip()]


def parent_cycle(code: str, parent: str | None, parents: dict[str, str | None]) -> bool:
    """True if making `parent` the parent of `code` would close a loop in the unit tree."""
    seen = {code}
    while parent:
        if parent in seen:
            return True
        seen.add(parent)
        parent = parents.get(parent)
    return False
