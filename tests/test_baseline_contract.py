"""The shared contract (`benchmark.baselines.testing`) on every registered baseline: the packaged
ones and those of installed plugin packages, each on the tiny configurations it declares; and a
baseline registered in a test module gets the suite without a test of its own."""
import pytest

from benchmark.baselines.testing import BaselineContract
from benchmark.registry import BASELINES

CHECKS = 5  # the test methods of BaselineContract

REGISTERED_IN_A_TEST = '''
import torch
from torch import nn

from benchmark.baselines import SegmentationModel
from benchmark.registry import BASELINES


@BASELINES.register_module(name="registered_in_a_test")
class Tiny(SegmentationModel):
    def __init__(self, num_classes, **contract):
        super().__init__(num_classes, **contract)
        self.encoder = nn.Conv2d(3, num_classes, 3, padding=1)

    def logits(self, x):
        return self.encoder(x)
'''


class TestRegisteredBaselines(BaselineContract):
    pass


@pytest.mark.parametrize("forward, outcomes", [
    ("", dict(passed=CHECKS)),
    # a loss that reads the image label although the model declares masks only
    ("""
    def forward(self, inputs, mask=None, label=None, **meta):
        out = super().forward(inputs, mask, label)
        if "loss" in out and label is not None:
            out["loss"] = out["loss"] + label.float()[-1]
        return out
""", dict(passed=CHECKS - 1, failed=1)),
])
def test_a_baseline_registered_in_a_test_module_gets_the_contract_suite(pytester, forward, outcomes):
    pytester.makeconftest('pytest_plugins = ["benchmark.baselines.testing"]')
    pytester.makepyfile(test_mine=REGISTERED_IN_A_TEST + forward)
    try:
        result = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider")
    finally:
        BASELINES.forget("registered_in_a_test")
    result.assert_outcomes(**outcomes)
    if outcomes.get("failed"):
        result.stdout.fnmatch_lines(["*TestBaselineContract.test_loss[[]registered_in_a_test[]]*",
                                     "*registered_in_a_test(num_classes=2): the loss reads the label*"])
