"""The packaged tracks, one module each; importing this package registers them in
`benchmark.registry.TRACKS` (the registry imports it the first time a track is asked for)."""
from . import (cocoglide_cross, diffseg_attribution, diffseg_binary, diffseg_robustness, dolos_detection,
               dolos_localization, semitruths_faces_detection)

__all__ = ["cocoglide_cross", "diffseg_attribution", "diffseg_binary", "diffseg_robustness", "dolos_detection",
           "dolos_localization", "semitruths_faces_detection"]
