"""Synthetic 12345 work orders for the benchmark, written straight to JSON bytes (the generator must not be what
is measured): 200 units, 12 categories, a year of receipts, half of them closed and rated, 5% repeat calls."""
CATEGORIES = ("河道违建", "噪声扰民", "占道经营", "垃圾清运", "道路破损", "路灯故障", "违章停车", "油烟污染",
              "物业纠纷", "供水问题", "施工扰民", "绿化养护")
SATISFACTION = ("非常满意", "满意", "基本满意", "不满意")


def order_json(i: int, prefix: str = "B") -> bytes:
    month, day, hour = 1 + i % 12, 1 + i % 28, 8 + i % 10
    d = f"2026-{month:02d}-{day:02d}"
    unit = f"U-{i % 200:03d}"
    history = f'{{"status":"受理","at":"{d}T{hour:02d}:00:00+08:00"}},{{"status":"派单","at":"{d}T{hour:02d}:05:00+08:00"}}'
    extra = ""
    if i % 2 == 0:
        signed = 30 if i % 10 else 59 * 3  # every tenth signed late
        history += (f',{{"status":"签收","at":"{d}T{hour + signed // 60:02d}:{signed % 60:02d}:00+08:00"}}'
                    f',{{"status":"办结","at":"{d}T{hour + 4:02d}:00:00+08:00"}}')
        extra = f',"resolved":{"true" if i % 8 else "false"},"satisfaction":"{SATISFACTION[i % 4]}"'
    if i % 20 == 7:
        extra += f',"repeat_of":"{prefix}-{i - 7}"'
    return (f'{{"order_id":"{prefix}-{i}","version":1,"received_at":"{d}T{hour:02d}:00:00+08:00","channel":"电话",'
            f'"category":"{CATEGORIES[i % 12]}","sub_category":"其他","district":"示范区","street":"街道{i % 9}",'
            f'"content":"市民来电反映问题，编号 {i}，请尽快处理。","assigned_unit":"{unit}","status_history":[{history}],'
            f'"sign_in_deadline":"{d}T{hour + 2:02d}:00:00+08:00","close_deadline":"{d}T{hour + 6:02d}:00:00+08:00"'
            f'{extra}}}').encode()


def batch_json(start: int, size: int, prefix: str = "B") -> bytes:
    return b"[" + b",".join(order_json(i, prefix) for i in range(start, start + size)) + b"]"
