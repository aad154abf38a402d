"""`hpi serve` (runtime_min/serving/): a real server on loopback serving the OCR bundle with PaddleX's API.

PaddleX's own OCR client example (its serving docs, "Client-side invocation", Python) runs unchanged but for
API_URL and file_path, in the oracle env (it needs `requests`), against `hpi serve` and against PaddleX 3.7.2's
own `paddlex --serve --pipeline` on the same models (the oracle env has PaddleX's serving extra): the answers
have the same fields, and their prunedResult is compared field by field. Then what PaddleX leaves out:
readiness, metrics, the bounded queue (503), the body cap (413), bad files (422), graceful shutdown (a request in
flight at SIGTERM is answered) and the round robin fault run (benchmarks/load_test.py's client).
Every server started here is stopped by the test that started it.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import BIN, OCR_IMAGES, ORACLE_PYTHON, REPO, needs_oracle, needs_testdata, run_oracle
from ocr_parity import absolute_ocr_config, compare_ocr

pytestmark = [pytest.mark.slow, needs_testdata(OCR_IMAGES)]

CLIENT_EXAMPLE = '''import base64
import requests

API_URL = "http://localhost:8080/ocr"
file_path = "./demo.jpg"

with open(file_path, "rb") as file:
    file_bytes = file.read()
    file_data = base64.b64encode(file_bytes).decode("ascii")

payload = {"file": file_data, "fileType": 1}

response = requests.post(API_URL, json=payload)

assert response.status_code == 200
result = response.json()["result"]
for i, res in enumerate(result["ocrResults"]):
    print(res["prunedResult"])
    ocr_img_path = f"ocr_{i}.jpg"
    with open(ocr_img_path, "wb") as f:
        f.write(base64.b64decode(res["ocrImage"]))
    print(f"Output image saved at {ocr_img_path}")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`hpi serve BUNDLE` in a child process on 127.0.0.1; `stop()` (or the context's end) ends it."""

    def __init__(self, bundle: Path | None, *args: str, paddlex_config: Path | None = None):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a full pipe would stall the server
        command = [str(BIN / "hpi"), "serve", str(bundle), "--port", str(self.port), *args] if paddlex_config is None \
            else [str(ORACLE_PYTHON), str(REPO / "tests/oracle/paddlex_serve.py"), "--serve", "--pipeline",
                  str(paddlex_config), "--host", "127.0.0.1", "--port", str(self.port)]
        ready = "/health/ready" if paddlex_config is None else "/health"  # PaddleX has no readiness route
        env = dict(os.environ)
        if paddlex_config is not None:  # PaddleX draws labels with a font it would download: a system one
            from hpi.runtime_min.pipelines.fonts import SYSTEM_FONTS

            env["PADDLE_PDX_LOCAL_FONT_FILE_PATH"] = next((f for f in SYSTEM_FONTS if Path(f).is_file()), "")
        self.proc = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, text=True, env=env)
        import httpx

        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"hpi serve exited {self.proc.returncode}: {self.output()[-3000:]}")
            try:
                if httpx.get(f"{self.url}{ready}", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"{command[0]} did not get ready in 180 s: {self.output()[-2000:]}")

    def post(self, payload, route: str = "/ocr"):
        import httpx

        return httpx.post(f"{self.url}{route}", json=payload, timeout=120)

    def stop(self) -> int:
        """SIGTERM, then the exit status: -SIGTERM after a graceful shutdown (uvicorn re-raises the signal
        once it has drained, the Unix convention), asserted by `stopped_gracefully`."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def stopped_gracefully(self) -> bool:
        status = self.stop()
        return status == -signal.SIGTERM and "Application shutdown complete" in self.output()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def _image_b64(name: str) -> str:
    return base64.b64encode(next(p for p in OCR_IMAGES if p.name == name).read_bytes()).decode("ascii")


@needs_oracle()
def test_paddlex_client_example_gets_what_paddlex_serve_gives(ocr_bundle, models_dir, tmp_path):
    """PaddleX's client example against `hpi serve` and against `paddlex --serve --pipeline` on the same models:
    it runs unchanged on both, and the answers have the same fields with the same results."""
    import httpx

    config = absolute_ocr_config(models_dir, tmp_path)
    with Server(ocr_bundle) as ours, Server(None, paddlex_config=config) as theirs:
        image = next(p for p in OCR_IMAGES if p.name == "ch_en_num.jpg")
        for server, folder in ((ours, tmp_path / "hpi"), (theirs, tmp_path / "paddlex")):
            folder.mkdir()
            client = CLIENT_EXAMPLE.replace('"http://localhost:8080/ocr"', f'"{server.url}/ocr"') \
                .replace('"./demo.jpg"', f'"{image}"')
            run = run_oracle([str(ORACLE_PYTHON), "-c", client], cwd=folder, capture_output=True, text=True)
            assert run.returncode == 0, run.stderr[-3000:]
            assert (folder / "ocr_0.jpg").stat().st_size > 0 and "Output image saved at ocr_0.jpg" in run.stdout
        mismatches = []
        for name in ("ch_en_num.jpg", "en.jpg"):
            payload = {"file": _image_b64(name), "fileType": 1, "logId": "abc"}
            mine, paddlex = ours.post(payload).json(), theirs.post(payload).json()
            assert mine["logId"] == paddlex["logId"] == "abc" and mine["errorMsg"] == paddlex["errorMsg"] == "Success"
            (item,), (their_item,) = mine["result"]["ocrResults"], paddlex["result"]["ocrResults"]
            assert their_item["prunedResult"]["rec_texts"], "PaddleX read no text: the comparison would mean nothing"
            mismatches += compare_ocr(name, item["prunedResult"], their_item["prunedResult"])
            assert mine.keys() == paddlex.keys() and mine["result"].keys() == paddlex["result"].keys()
            assert item.keys() == their_item.keys()  # prunedResult and the pictures PaddleX sends (no None fields)
            assert mine["result"]["dataInfo"] == paddlex["result"]["dataInfo"]
        assert not mismatches, "\n".join(mismatches[:20])
        metrics = httpx.get(f"{ours.url}/metrics").text
        assert 'hpi_requests_total{code="200",route="/ocr"} 3.0' in metrics and "hpi_model_seconds_count" in metrics
        healthy = [httpx.get(f"{server.url}/health").json()["errorMsg"] for server in (ours, theirs)]
        assert healthy == ["Healthy", "Healthy"]
        assert ours.stopped_gracefully()


def test_bad_requests_get_paddlexs_error_form_and_the_server_keeps_serving(ocr_bundle):
    with Server(ocr_bundle, "--max-body-mb", "1", "--no-visualize") as server:
        cases = [({"file": "not base64 !!", "fileType": 1}, 422, "neither an http(s) URL nor valid Base64"),
                 ({"file": _image_b64("en.jpg")}, 422, "File type cannot be determined"),
                 ({"file": _image_b64("en.jpg"), "fileType": 0}, 422, "PDF input is not supported"),
                 ({"file": base64.b64encode(b"GIF89a broken").decode(), "fileType": 1}, 422, "Invalid image"),
                 ({"fileType": 1}, 422, "missing"),
                 ({"file": "A" * (2 * 1024 * 1024), "fileType": 1}, 413, "over 1048576 bytes"),
                 ({"file": _image_b64("en.jpg"), "fileType": 1, "textDetLimitType": "sideways"}, 422, "sideways")]
        for payload, status, message in cases:
            response = server.post(payload)
            body = response.json()
            assert response.status_code == status and body["errorCode"] == status, (payload.keys(), body)
            assert message in body["errorMsg"], body
        good = server.post({"file": _image_b64("en.jpg"), "fileType": 1})
        assert good.status_code == 200 and "ocrImage" not in good.json()["result"]["ocrResults"][0]


def test_a_full_queue_answers_503_and_shutdown_finishes_the_request_in_flight(ocr_bundle):
    payload = {"file": _image_b64("ch_en_num.jpg"), "fileType": 1}
    with Server(ocr_bundle, "--workers", "1", "--max-queue", "0") as server:
        with ThreadPoolExecutor(4) as pool:
            codes = sorted(r.status_code for r in pool.map(lambda _: server.post(payload), range(4)))
        assert codes[0] == 200 and 503 in codes and set(codes) <= {200, 503}, codes
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(server.post, payload)
            time.sleep(0.3)  # the request is being read or run when the signal comes
            server.proc.send_signal(signal.SIGTERM)
            assert in_flight.result().status_code == 200
            assert server.stopped_gracefully()


def test_round_robin_over_two_servers_loses_nothing_when_one_is_killed(ocr_bundle):
    """benchmarks/load_test.py's client: 4 clients round robin over two servers, one SIGKILLed mid-run; every
    request is answered (retried on the survivor), and the survivor keeps serving after the kill."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from load_test import run

    payload = {"file": _image_b64("en.jpg"), "fileType": 1, "visualize": False}
    with Server(ocr_bundle) as survivor, Server(ocr_bundle) as victim:
        row = run([survivor.url, victim.url], payload, concurrency=4, duration=6, retries=1, route="/ocr",
                  kill_after=2, kill_pid=victim.proc.pid)
        assert victim.proc.wait(10) == -signal.SIGKILL
        assert row["lost"] == 0 and row["retried"] > 0 and row["answered"] > 4, row
        assert survivor.post(payload).status_code == 200
