"""The tasks a model, a prediction or a track is for, and the label value of pixels without truth."""

LOCALIZATION_TASKS = ("binary", "semantic")  # a per-pixel map: edited or not / which generator
TASKS = (*LOCALIZATION_TASKS, "detection")   # detection: image scores only

# Label-map value of pixels that carry no truth (fully generated images, withheld masks, borders):
# scored by no localization metric and ignored by every training loss.
IGNORE = 255
