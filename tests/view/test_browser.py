"""The viewer in a real headless Chromium (Debian's package, driven by Selenium through /usr/bin/chromedriver).

Skipped only when the browser is missing and CI is not set; in CI a missing browser fails the run
(scripts/install_browser.sh installs it). SIRENKIT_VIEW_SCREENSHOTS=DIR also saves each page's
screenshot there (docs/ holds the ones in the documentation).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

import sirenkit
from sirenkit.cli.main import main
from sirenkit.view import ViewServer

from .conftest import AUDIO_RATE, start_server

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--enable-unsafe-swiftshader", "--window-size=1400,1000")
CURVE_BLUE = np.array([21, 101, 192])  # #1565c0, the curve's colour in viewer.js
MESH_BACKGROUND = np.array([32, 32, 32])  # 0x202020, the 3-D view's clear colour

_missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
try:
    import selenium  # noqa: F401
except ImportError:
    _missing.append("the selenium package")
if _missing and not os.environ.get("CI"):
    pytestmark = pytest.mark.skip(reason=f"{', '.join(_missing)} not installed; run scripts/install_browser.sh "
                                         "(in CI these tests must run)")


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    if _missing:
        pytest.fail(f"CI is set but {', '.join(_missing)} is missing; .ci/run must call scripts/install_browser.sh")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    browser.set_script_timeout(60)
    yield browser
    browser.quit()


def wait_for(driver, script: str, timeout: float = 90.0) -> object:
    """Poll a JavaScript expression until it is truthy; its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(f"return ({script});")
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for: {script}")


def open_page(driver, server: ViewServer) -> None:
    driver.get_log("browser")  # drop messages of earlier pages
    driver.get(server.url)
    wait_for(driver, "window.sirenkit && window.sirenkit.ready === true")


def console_errors(driver) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def save_screenshot(driver, name: str) -> None:
    folder = os.environ.get("SIRENKIT_VIEW_SCREENSHOTS")
    if not folder:
        return
    from PIL import Image

    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    image = image.resize((1000, round(image.height * 1000 / image.width)), Image.LANCZOS)
    Path(folder).mkdir(parents=True, exist_ok=True)
    image.quantize(colors=128).save(Path(folder) / f"view_{name}.png", optimize=True)


def element_pixels(driver, css: str) -> np.ndarray:
    from selenium.webdriver.common.by import By

    return iio.imread(io.BytesIO(driver.find_element(By.CSS_SELECTOR, css).screenshot_as_png))[..., :3].astype(int)


def browser_decoded(driver, url: str) -> np.ndarray:
    """The PNG at `url` as Chromium decodes it: drawn on a canvas and read back, (H, W, 4) uint8."""
    result = driver.execute_async_script("""
        const [url, done] = arguments;
        const image = new Image();
        image.onload = () => {
          const canvas = document.createElement("canvas");
          canvas.width = image.width; canvas.height = image.height;
          const context = canvas.getContext("2d");
          context.drawImage(image, 0, 0);
          done({width: image.width, height: image.height, data: Array.from(context.getImageData(0, 0, image.width, image.height).data)});
        };
        image.onerror = () => done(null);
        image.src = url;""", url)
    assert result is not None, f"the browser could not load {url}"
    return np.array(result["data"], dtype=np.uint8).reshape(result["height"], result["width"], 4)


@pytest.fixture(scope="module")
def page_server(image_run: Path, audio_run: Path, sdf_run: Path) -> Iterator[Callable[[int], ViewServer]]:
    """Servers over one run each (index 0 image, 1 audio, 2 sdf), so each page shows one task."""
    servers = [start_server([run]) for run in (image_run, audio_run, sdf_run)]
    yield lambda index: servers[index][0]
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_image_page_zoomed_8x_shows_the_rendered_field(driver, page_server, image_run: Path, tmp_path: Path) -> None:
    server = page_server(0)
    open_page(driver, server)
    driver.execute_script("window.sirenkit.zoomTo(0, 8)")
    wait_for(driver, "window.sirenkit.fullyLoaded(0)")
    zoom_text = driver.execute_script("return document.querySelector('.zoom').textContent")
    assert "zoom 8.0×" in zoom_text
    level = server.runs[0].image().pyramid.level_of_zoom(8)
    shown = driver.execute_script(f"return window.sirenkit.tiles.filter(t => t.layer === 'phi' && t.level === {level})")
    assert shown, "no tile of the 8x level was loaded"
    reference_png = tmp_path / "render_8x.png"
    h, w = (32 * 8, 32 * 8)
    assert main(["render", str(image_run), "--size", str(h), str(w), "--out", str(reference_png)]) == 0
    reference = iio.imread(reference_png).astype(int)
    for tile in shown:
        pixels = browser_decoded(driver, tile["url"]).astype(int)
        row, col = tile["y"] * 256, tile["x"] * 256
        expected = reference[row : row + pixels.shape[0], col : col + pixels.shape[1]]
        assert np.abs(pixels[..., 0] - expected).max() <= 1  # within 1/255 of `sirenkit render`
        assert (pixels[..., 0] == pixels[..., 2]).all() and (pixels[..., 3] == 255).all()
    assert "PSNR" in driver.execute_script("return document.querySelector('.psnr').textContent")
    save_screenshot(driver, "image")
    assert console_errors(driver) == []


def test_image_layers_load_without_errors(driver, page_server) -> None:
    open_page(driver, page_server(0))
    for layer in ("grad", "laplacian", "error"):
        driver.execute_script(f"const s = document.querySelector('select.layer'); s.value = '{layer}';"
                              "s.dispatchEvent(new Event('change'));")
        wait_for(driver, f"window.sirenkit.tiles.some(t => t.layer === '{layer}') && window.sirenkit.fullyLoaded(0)")
    save_screenshot(driver, "image_error")
    assert console_errors(driver) == []


def test_audio_page_plays_and_draws_the_spectrogram(driver, page_server) -> None:
    open_page(driver, page_server(1))
    wait_for(driver, "window.sirenkit.audio[0] && window.sirenkit.audio[0].drawn")
    durations = wait_for(driver, "[...document.querySelectorAll('audio.player-original, audio.player-fit')]"
                                 ".every(a => a.readyState >= 1) && [...document.querySelectorAll('audio')].map(a => a.duration)")
    assert len(durations) == 3 and np.allclose(durations[:2], 2000 / AUDIO_RATE, atol=2e-3)  # original and fit, 0.25 s
    save_screenshot(driver, "audio")
    spectrogram = np.array(driver.execute_script(
        "const c = document.querySelector('canvas.spectrogram');"
        "return [c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];")[1]).reshape(200, 800, 4)
    brightness = spectrogram[..., :3].astype(int).sum(-1).mean(1)  # per row, frequency from rate/2 (top) to 0 (bottom)
    hz = (1.0 - (np.arange(200) + 0.5) / 200) * AUDIO_RATE / 2
    low, high = hz < 800, hz >= 800
    assert abs(hz[low][brightness[low].argmax()] - 440) < 30 and abs(hz[high][brightness[high].argmax()] - 1250) < 30  # the two tones
    far = (np.abs(hz - 440) > 250) & (np.abs(hz - 1250) > 250)
    assert brightness[far].max() < 0.5 * brightness.max()  # and nothing else
    driver.execute_script("document.querySelector('input.duration').value = '0.5'; document.querySelector('.run button').click();")
    slowed = wait_for(driver, "document.querySelector('audio.player-custom').readyState >= 1"
                              "&& document.querySelector('audio.player-custom').duration")
    assert abs(slowed - 0.5) < 2e-3  # the fit rendered over 0.5 s at 2x the rate
    assert console_errors(driver) == []


def test_sdf_page_draws_the_mesh(driver, page_server) -> None:
    open_page(driver, page_server(2))
    wait_for(driver, "window.sirenkit.sdf[0] && window.sirenkit.sdf[0].meshLoaded")
    wait_for(driver, "document.querySelector('img.slice').complete && document.querySelector('img.slice').naturalWidth === 256")
    save_screenshot(driver, "sdf")
    driver.execute_script("document.querySelector('input.show-plane').click()")  # hide the slice plane: only the mesh is left
    canvas = element_pixels(driver, "canvas.mesh")
    drawn = (np.abs(canvas - MESH_BACKGROUND).max(-1) > 12).mean()
    assert drawn > 0.02, f"only {drawn:.1%} of the 3-D view differs from the background"
    assert console_errors(driver) == []


def test_helmholtz_and_wave_side_by_side(driver, wave_server: ViewServer) -> None:
    open_page(driver, wave_server)
    assert driver.execute_script("return document.querySelectorAll('section.run').length") == 2
    wait_for(driver, "window.sirenkit.wavefield && window.sirenkit.wavefield[0].drawn >= 1 && window.sirenkit.wavefield[1].drawn >= 1")
    driver.execute_script("const s = document.querySelector('#run-1 input.time'); s.value = s.max; s.dispatchEvent(new Event('input'));")
    wait_for(driver, "window.sirenkit.wavefield[1].drawn >= 2")
    driver.execute_script("const s = document.querySelector('#run-0 select.wavefield-layer'); s.value = 'velocity';"
                          "s.dispatchEvent(new Event('input'));")
    wait_for(driver, "window.sirenkit.wavefield[0].drawn >= 2 && document.querySelector('#run-0 img.wavefield').complete")
    velocity = element_pixels(driver, "#run-0 img.wavefield")
    assert len(np.unique(velocity.reshape(-1, 3), axis=0)) >= 2  # the circle of the 'circle' medium
    save_screenshot(driver, "wavefields")
    assert console_errors(driver) == []


def test_dirichlet_helmholtz_shows_u_its_score_and_a_point_readout(driver, dirichlet_server: ViewServer) -> None:
    open_page(driver, dirichlet_server)
    wait_for(driver, "window.sirenkit.wavefield && [0, 1, 2].every((i) => window.sirenkit.wavefield[i].drawn >= 1)")
    options = driver.execute_script("return [...document.querySelectorAll('#run-0 select.wavefield-layer option')].map((o) => o.value)")
    assert options == ["u", "exact", "error"]
    live = driver.execute_script("return window.sirenkit.runs[0].wavefield.relative_l2_live")
    score = driver.execute_script("return document.querySelector('#run-0 .wavefield-score').textContent")
    assert score.endswith(f"{live:.3f}")  # fmt() in viewer.js: 3 decimals for values in [0.01, 1000)
    assert driver.execute_script("return document.querySelector('#run-2 .wavefield-score')") is None  # the pml run has none
    driver.execute_script("const s = document.querySelector('#run-0 select.wavefield-layer'); s.value = 'exact';"
                          "s.dispatchEvent(new Event('input'));")
    wait_for(driver, "window.sirenkit.wavefield[0].drawn >= 2 && document.querySelector('#run-0 img.wavefield').complete")
    exact = element_pixels(driver, "#run-0 img.wavefield")
    assert len(np.unique(exact.reshape(-1, 3), axis=0)) >= 50  # sin(kx)·sin(ky): two periods each way, full colour range
    driver.execute_script("document.querySelector('#run-0 img.wavefield').dispatchEvent(new MouseEvent('click', {clientX: 0, clientY: 0}))")
    wait_for(driver, "window.sirenkit.wavefield[0].probed >= 1")
    readout = driver.execute_script("return document.querySelector('#run-0 .wavefield-readout').textContent")
    assert all(f"{name} " in readout for name in ("u", "exact", "error"))
    save_screenshot(driver, "dirichlet")
    assert console_errors(driver) == []


def test_video_page_plays_the_fit_against_the_original(driver, video_server: ViewServer) -> None:
    open_page(driver, video_server)
    wait_for(driver, "window.sirenkit.video[0].shown >= 1")
    driver.execute_script("const s = document.querySelector('select.slow-motion'); s.value = '4'; s.dispatchEvent(new Event('input'));")
    assert driver.execute_script("return document.querySelector('input.frame').max") == "23"  # 4 x 6 frames
    driver.execute_script("document.querySelector('button.play').click()")
    wait_for(driver, "window.sirenkit.video[0].shown >= 6")
    driver.execute_script("document.querySelector('button.play').click()")
    assert driver.execute_script("return document.querySelector('img.video-original').naturalWidth") == 16
    save_screenshot(driver, "video")
    assert console_errors(driver) == []


def _rightmost_curve_column(pixels: np.ndarray) -> int:
    columns = np.nonzero((np.abs(pixels - CURVE_BLUE).max(-1) < 40).any(0))[0]
    return int(columns.max()) if len(columns) else -1


def test_curve_of_a_training_run_grows(driver, tmp_path: Path) -> None:
    out = tmp_path / "training"
    env = {**os.environ, "PYTHONPATH": str(Path(sirenkit.__file__).parents[1])}
    fit = subprocess.Popen([sys.executable, "-m", "sirenkit", "image", "--size", "32", "--steps", "1500", "--log-every", "5",
                            "--hidden-features", "16", "--out", str(out), "--quiet"], env=env, stdout=subprocess.DEVNULL)
    server = None
    try:
        deadline = time.monotonic() + 180
        while not ((out / "metrics.jsonl").is_file() and (out / "metrics.jsonl").read_text().count("\n") >= 2):
            assert time.monotonic() < deadline and fit.poll() is None, "the fit wrote no metrics"
            time.sleep(0.5)
        server, thread = start_server([out])
        open_page(driver, server)
        first_points = wait_for(driver, "window.sirenkit.curves[0].points >= 2 && window.sirenkit.curves[0].points")
        first = _rightmost_curve_column(element_pixels(driver, "canvas.curve"))
        wait_for(driver, f"window.sirenkit.curves[0].points >= {first_points + 20}", timeout=120)
        deadline = time.monotonic() + 60  # the canvas is redrawn on the page's next poll, not with the point count
        second = _rightmost_curve_column(element_pixels(driver, "canvas.curve"))
        while second <= first and time.monotonic() < deadline:
            time.sleep(0.5)
            second = _rightmost_curve_column(element_pixels(driver, "canvas.curve"))
        save_screenshot(driver, "training")
        assert 0 <= first < second, (first, second)
        assert console_errors(driver) == []
    finally:
        fit.terminate()
        fit.wait(timeout=60)
        if server is not None:
            server.shutdown()
            server.server_close()


def _shown_pixels(driver, css: str) -> np.ndarray:
    """The picture an <img> shows, drawn at its natural size on a canvas and read back, (H, W, 4) uint8."""
    result = driver.execute_script("""
        const image = document.querySelector(arguments[0]);
        const canvas = document.createElement("canvas");
        canvas.width = image.naturalWidth; canvas.height = image.naturalHeight;
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        return {width: canvas.width, height: canvas.height, data: Array.from(data)};""", css)
    return np.array(result["data"], dtype=np.uint8).reshape(result["height"], result["width"], 4)


def test_prior_page_inpaints_the_chosen_face_live(driver, prior_server: ViewServer, prior_run: Path) -> None:
    from sirenkit.prior.inpaint import inpaint_faces
    from sirenkit.prior.train import load_prior
    from sirenkit.tasks.prior import load_split

    open_page(driver, prior_server)
    wait_for(driver, "window.sirenkit.prior && window.sirenkit.prior[0].drawn >= 1")
    first = _shown_pixels(driver, "img.prior-inpainted")
    driver.execute_script("const f = document.querySelector('input.face'); f.value = '60'; f.dispatchEvent(new Event('input'));"
                          "const c = document.querySelector('input.context'); c.value = '40'; c.dispatchEvent(new Event('input'));")
    readout = wait_for(driver, "(r => r && r.face === 60 && r.context === '40' && r)(window.sirenkit.prior[0].readout)")
    shown = _shown_pixels(driver, "img.prior-inpainted")
    assert np.abs(shown.astype(int) - first).max() > 10, "the inpainted picture did not change"
    model, config = load_prior(prior_run)
    face = load_split(config)[1].images[60]
    expected = np.rint(np.clip((inpaint_faces(model, face[None], "40")[0][0] + 1) / 2, 0, 1) * 255)
    assert np.abs(shown[..., 0].astype(int) - expected).max() <= 1  # the library's inpainting, within 1/255
    text = driver.execute_script("return document.querySelector('.readout').textContent")
    assert f"inpainted MSE {readout['mse_inpainted']:.4f}" in text and f"mean face MSE {readout['mse_mean_face']:.4f}" in text
    assert "40 pixels shown" in text
    driver.execute_script("const m = document.querySelector('select.context-mode'); m.value = 'half'; m.dispatchEvent(new Event('input'));")
    wait_for(driver, "(r => r && r.context === 'half' && r.observed === 128)(window.sirenkit.prior[0].readout)")
    save_screenshot(driver, "prior")
    assert console_errors(driver) == []
