"""The standard robustness distortions of the seed papers: JPEG, resize, scale, blur, noise."""
from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image, features

from benchmark.registry import DISTORTIONS

from .base import Distortion


def _pil_resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    # PIL's bicubic widens its kernel when shrinking, i.e. it is antialiased (cv2's is not).
    if (width, height) == (image.shape[1], image.shape[0]):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.BICUBIC))


@DISTORTIONS.register_module(name="jpeg")
class Jpeg(Distortion):
    """JPEG round trip at quality Q with PIL's defaults (4:2:0 chroma subsampling, no optimisation)."""

    name, param_type, bounds, identity, stronger_when_lower = "jpeg", int, (1, 100), 100.0, True

    def __call__(self, image, rng):
        buf = io.BytesIO()
        Image.fromarray(image).save(buf, format="JPEG", quality=self.param)
        with Image.open(io.BytesIO(buf.getvalue())) as im:
            return np.asarray(im.convert("RGB"))

    @classmethod
    def versions(cls):
        # libjpeg's version is the API level it emulates (6.2 for libjpeg-turbo); the codec that
        # decides the bytes is turbo's own release, so record that where PIL was built with it.
        codec = (f"libjpeg-turbo {features.version_feature('libjpeg_turbo')}"
                 if features.check_feature("libjpeg_turbo") else "libjpeg")
        return {"jpeg_encoder": f"PIL {Image.__version__} / {codec} (libjpeg API {features.version('jpg')})"}


@DISTORTIONS.register_module(name="resize")
class Resize(Distortion):
    """Longer side to S pixels, aspect kept, antialiased bicubic."""

    # Downscaling is what destroys traces, so curves run from large sizes to small ones.
    name, param_type, bounds, stronger_when_lower = "resize", int, (8, 16384), True

    def __call__(self, image, rng):
        h, w = image.shape[:2]
        f = self.param / max(h, w)
        return _pil_resize(image, max(1, round(w * f)), max(1, round(h * f)))

    @classmethod
    def versions(cls):
        return {"resize": f"PIL {Image.__version__} bicubic"}


@DISTORTIONS.register_module(name="scale")
class Scale(Distortion):
    """Both sides times F, antialiased bicubic."""

    name, bounds, identity, stronger_when_lower = "scale", (0.01, 16.0), 1.0, True

    def __call__(self, image, rng):
        h, w = image.shape[:2]
        return _pil_resize(image, max(1, round(w * self.param)), max(1, round(h * self.param)))

    versions = Resize.versions


@DISTORTIONS.register_module(name="blur")
class Blur(Distortion):
    """Gaussian blur with standard deviation sigma pixels (kernel 2*ceil(3 sigma)+1, reflected border)."""

    name, bounds, identity = "blur", (0.0, 100.0), 0.0

    def __call__(self, image, rng):
        if self.param == 0:
            return image
        k = 2 * int(np.ceil(3 * self.param)) + 1
        return cv2.GaussianBlur(image, (k, k), self.param, borderType=cv2.BORDER_REFLECT_101)

    @classmethod
    def versions(cls):
        return {"blur": f"OpenCV {cv2.__version__}"}


@DISTORTIONS.register_module(name="noise")
class Noise(Distortion):
    """Additive Gaussian noise of standard deviation `std` grey levels, rounded and clipped."""

    name, bounds, identity = "noise", (0.0, 255.0), 0.0

    def __call__(self, image, rng):
        noisy = image.astype(np.float32) + rng.normal(0.0, self.param, image.shape).astype(np.float32)
        return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)

    @classmethod
    def versions(cls):
        return {"noise": f"numpy {np.__version__} PCG64"}
