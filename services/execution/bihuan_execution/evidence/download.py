"""A stored file as an HTTP response: streamed in chunks from whichever store holds it, never whole in memory."""
from urllib.parse import quote

from fastapi.responses import StreamingResponse

from bihuan_execution.evidence.storage import Download


def download_response(download: Download, content_type: str, filename: str) -> StreamingResponse:
    return StreamingResponse(download.chunks, media_type=content_type,
                             headers={"Content-Length": str(download.size),
                                      "Content-Disposition": content_disposition(filename)})


def content_disposition(filename: str) -> str:
    """As a file response names it: RFC 5987 for names that are not plain ASCII (most Chinese file names)."""
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'
