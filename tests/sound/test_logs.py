"""No credential reaches the log: query tokens and API keys are redacted in every line."""

from __future__ import annotations

import httpx
import pytest
from support import API_KEY, Server
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


def test_tokens_in_urls_never_reach_the_log(fresh_server: Server) -> None:
    fresh_server.env["LISTENPOST_LOG_LEVEL"] = "info"
    fresh_server.start()
    token = fresh_server.token()
    with connect(f"{fresh_server.ws_base}/api/v1/ws?access_token={token}") as ws:
        assert ws.recv(timeout=5) == "hello"
    with pytest.raises(InvalidStatus):
        connect(f"{fresh_server.ws_base}/api/v1/ws?access_token={API_KEY}")
    for query in (f"access_token={token}", f"token={token}&x=1", f"api_key={API_KEY}"):
        httpx.get(f"{fresh_server.base}/api/v1/calls/1/audio?{query}")
    httpx.get(f"{fresh_server.base}/health?ACCESS_TOKEN={token}")
    fresh_server.stop()
    log = fresh_server.log.read_text()
    assert "/api/v1/ws?access_token=" in log and "/calls/1/audio" in log  # the lines exist
    assert token not in log
    assert token.split(".")[2] not in log  # not even the signature
    assert API_KEY not in log


@pytest.mark.parametrize(
    "line",
    [
        "headers: {'authorization': 'Bearer s3cr3t-value'}",
        "[(b'host', b'x'), (b'authorization', b'Bearer s3cr3t-value')]",
        "Authorization: Basic s3cr3t-value",
        "GET /x?a=1&api_key=s3cr3t-value HTTP/1.1",
        "GET /x?Token=s3cr3t-value",
    ],
)
def test_every_record_part_is_redacted(line: str, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from listenpost.auth.logredact import RedactCredentials

    logger = logging.getLogger("listenpost.test.redact")
    logger.addFilter(RedactCredentials())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info(line)
        logger.info("%s and %d", line, 7)
        try:
            raise ValueError(line)
        except ValueError:
            logger.exception("failed")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "s3cr3t-value" not in text
    assert " and 7" in text
