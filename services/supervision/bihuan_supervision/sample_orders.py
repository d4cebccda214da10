"""Sample 12345 work orders in the feed's own shape: for tests, the benchmark and demos."""


def order(order_id: str, version: int = 1, unit: str = "U-CG", **overrides) -> dict:
    base = {
        "order_id": order_id, "version": version, "received_at": "2026-03-02T09:00:00+08:00", "channel": "电话",
        "category": "河道违建", "sub_category": "违法搭建", "district": "示范区", "street": "城东街道",
        "content": "河边有违章搭建", "assigned_unit": unit,
        "status_history": [{"status": "受理", "at": "2026-03-02T09:00:00+08:00"},
                           {"status": "派单", "at": "2026-03-02T09:10:00+08:00"}],
        "sign_in_deadline": "2026-03-02T11:00:00+08:00", "close_deadline": "2026-03-09T18:00:00+08:00",
    }
    base.update(overrides)
    return base


def step(status: str, at: str) -> dict:
    return {"status": status, "at": at}
