"""What changed between two states of a target, field by field, as the history shows it. Pure: no I/O."""
TRACKED = ("code", "title", "content", "work_measures", "area", "parent_id", "category", "source", "lead_unit",
           "responsible_units", "cooperating_units", "leader", "weight", "indicator", "proposal", "milestones",
           "status")


def diff(before: dict, after: dict) -> list[dict]:
    """[{field, before, after}] for every tracked field whose value differs."""
    return [{"field": f, "before": before.get(f), "after": after.get(f)}
            for f in TRACKED if f in after and before.get(f) != after.get(f)]
