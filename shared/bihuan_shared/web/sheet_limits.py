"""What an uploaded workbook may cost to read, and where it is read.

A 336 KB xlsx can hold 114 MB of XML (one row of 3 million inline-string cells): unchecked, openpyxl builds the whole
row as elements and dicts (2.7 GB) on the event loop, so /healthz stops answering and the pod is OOM-killed. Hence:
the decompressed size of the workbook's parts is capped twice (the sizes the zip declares, then the bytes really
inflated, since a declared size can lie), rows and columns per sheet are capped while the sheet is streamed
(web.sheets), and parsing runs in a worker thread, at most `parse_concurrency` at a time per process, so N
simultaneous imports cannot take all memory and the loop keeps serving.

build_app calls configure(settings); the defaults hold for scripts and tests that read a sheet without an app."""
import asyncio
import io
import weakref
import zipfile
from dataclasses import dataclass
from typing import Callable, TypeVar

from bihuan_shared.web.errors import TooLarge

T = TypeVar("T")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class SheetLimits:
    max_unzipped_bytes: int = 64 * 1024 * 1024   # all parts of the workbook together, inflated
    max_columns: int = 16_384                     # Excel's own limit (XFD); also the cap on cells in one row
    max_rows: int = 200_000                       # per sheet
    parse_concurrency: int = 2                    # workbooks parsed at once per process


limits = SheetLimits()
_gates: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]" = weakref.WeakKeyDictionary()


def configure(settings) -> None:
    global limits
    limits = SheetLimits(settings.sheet_max_unzipped_bytes, settings.sheet_max_columns, settings.sheet_max_rows,
                         settings.sheet_parse_concurrency)


def too_large(what: str, message: str) -> TooLarge:
    return TooLarge(message, code="workbook_too_large", details=[{"field": "file", "limit": what, "message": message}])


def check_archive(data: bytes) -> None:
    """Refuses (413) a workbook whose parts inflate past the cap. Not a zip at all is left to the workbook reader,
    which answers its own 422."""
    cap = limits.max_unzipped_bytes
    message = f"工作簿解压后超过 {cap // (1024 * 1024)} MB 上限（文件内容异常膨胀），未读取"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with archive:
        if sum(info.file_size for info in archive.infolist()) > cap:
            raise too_large("max_unzipped_bytes", message)
        inflated = 0
        for info in archive.infolist():
            try:
                with archive.open(info) as part:
                    while chunk := part.read(_CHUNK):
                        inflated += len(chunk)
                        if inflated > cap:
                            raise too_large("max_unzipped_bytes", message)
            except TooLarge:
                raise
            except Exception:  # noqa: BLE001  a broken part (bad CRC, unknown method): the reader reports it
                continue


async def parse_off_loop(parse: Callable[..., T], *args) -> T:
    """parse(*args) in a worker thread, behind this process's gate of parse_concurrency."""
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(limits.parse_concurrency)
    async with gate:
        return await asyncio.to_thread(parse, *args)
