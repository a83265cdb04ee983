"""One third-party Python SSE client, used the way its own documentation shows, subscribed to
URL; prints one JSON line per event with its receive time (see common.Client).

Usage: sse_clients.py LIBRARY URL, LIBRARY one of: sseclient-requests, sseclient-urllib3,
requests-sse, httpx-sse. Runs until killed, or until the library gives up (read timeout).
"""
import json
import sys
import time

READ_TIMEOUT = 15  # the library's own bound; the suite stops the process sooner
ACCEPT = {"Accept": "text/event-stream"}


def out(**fields):
    print(json.dumps({"t": time.time(), **fields}), flush=True)


def sseclient_requests(url):
    # sseclient-py's README: requests.get(url, stream=True, headers=...), then SSEClient(response).
    # Iterating a requests Response reads it 128 bytes at a time (Response.__iter__).
    import requests
    import sseclient
    out(start=True)
    response = requests.get(url, stream=True, headers=ACCEPT, timeout=(3, READ_TIMEOUT))
    out(open=True, status=response.status_code)
    for e in sseclient.SSEClient(response).events():
        out(id=e.id, event=e.event, data=e.data)


def sseclient_urllib3(url):
    # sseclient-py's README, urllib3 variant: PoolManager().request(..., preload_content=False).
    # Iterating a urllib3 HTTPResponse reads through stream(), 64 KiB at a time.
    import sseclient
    import urllib3
    out(start=True)
    response = urllib3.PoolManager().request("GET", url, preload_content=False, headers=ACCEPT,
                                             timeout=urllib3.Timeout(connect=3, read=READ_TIMEOUT))
    out(open=True, status=response.status)
    for e in sseclient.SSEClient(response).events():
        out(id=e.id, event=e.event, data=e.data)


def requests_sse(url):
    # requests-sse: EventSource(url) iterates response.iter_lines() (512-byte reads).
    from requests_sse import EventSource
    out(start=True)
    with EventSource(url, timeout=READ_TIMEOUT, max_connect_retry=0) as source:
        out(open=True)
        for e in source:
            out(id=e.last_event_id, event=e.type, data=e.data)


def httpx_sse(url):
    # httpx-sse: connect_sse(client, "GET", url) then iter_sse().
    import httpx
    from httpx_sse import connect_sse
    out(start=True)
    with httpx.Client(timeout=httpx.Timeout(READ_TIMEOUT, connect=3)) as client:
        with connect_sse(client, "GET", url) as source:
            out(open=True, status=source.response.status_code)
            for e in source.iter_sse():
                out(id=e.id, event=e.event, data=e.data)


LIBRARIES = {"sseclient-requests": sseclient_requests, "sseclient-urllib3": sseclient_urllib3,
             "requests-sse": requests_sse, "httpx-sse": httpx_sse}

if __name__ == "__main__":
    try:
        LIBRARIES[sys.argv[1]](sys.argv[2])
        out(error="stream ended")
    except Exception as ex:  # report, the suite decides
        out(error=f"{type(ex).__name__}: {ex}")
        sys.exit(1)
