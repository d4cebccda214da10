"""Synthetic 12345 work orders for the benchmark, written straight to JSON bytes (the generator is not what is
measured): one order every 30 seconds from 1 January (a million orders span about a year, as a city's hotline
does), 200 units, 12 categories, half of them closed and rated (every tenth signed late), 5% repeat calls."""
from datetime import datetime, timedelta

CATEGORIES = ("河道违建", "噪声扰民", "占道经营", "垃圾清运", "道路破损", "路灯故障", "违章停车", "油烟污染",
              "物业纠纷", "供水问题", "施工扰民", "绿化养护")
SATISFACTION = ("非常满意", "满意", "基本满意", "不满意")
START = datetime(2026, 1, 1)


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def order_json(i: int, prefix: str = "B", districts: tuple[str, ...] = ("示范区",)) -> bytes:
    """Order i; a city-wide stream names its districts in turn (order i in districts[i % len])."""
    received = START + timedelta(seconds=30 * i)
    unit = f"U-{i % 200:03d}"
    history = (f'{{"status":"受理","at":"{_at(received)}"}},'
               f'{{"status":"派单","at":"{_at(received + timedelta(minutes=5))}"}}')
    extra = ""
    if i % 2 == 0:
        signed = received + timedelta(minutes=30 if i % 10 else 180)  # every tenth signed after the 2-hour deadline
        history += (f',{{"status":"签收","at":"{_at(signed)}"}}'
                    f',{{"status":"办结","at":"{_at(received + timedelta(hours=4))}"}}')
        extra = f',"resolved":{"true" if i % 8 else "false"},"satisfaction":"{SATISFACTION[i % 4]}"'
    if i % 20 == 7:
        extra += f',"repeat_of":"{prefix}-{i - 7}"'
    return (f'{{"order_id":"{prefix}-{i}","version":1,"received_at":"{_at(received)}","channel":"电话",'
            f'"category":"{CATEGORIES[i % 12]}","sub_category":"其他","district":"{districts[i % len(districts)]}",'
            f'"street":"街道{i % 9}",'
            f'"content":"市民来电反映问题，编号 {i}，请尽快处理。","assigned_unit":"{unit}","status_history":[{history}],'
            f'"sign_in_deadline":"{_at(received + timedelta(hours=2))}",'
            f'"close_deadline":"{_at(received + timedelta(hours=6))}"{extra}}}').encode()


def batch_json(start: int, size: int, prefix: str = "B", districts: tuple[str, ...] = ("示范区",)) -> bytes:
    return b"[" + b",".join(order_json(i, prefix, districts) for i in range(start, start + size)) + b"]"
