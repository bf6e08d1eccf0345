import pytest

from dgan_blender.errors import DganError
from dgan_blender.measure.budget import TABLE, budget_for


def test_default_is_the_sixty_minute_column():
    b = budget_for()
    assert b.minutes == 60 and all(getattr(b, k) == v[0] for k, v in TABLE.items())


def test_scaled_fields_follow_the_budget_and_fixed_ones_do_not():
    half, double = budget_for(30), budget_for(120)
    assert half.fit_iters == TABLE["fit_iters"][0] // 2 and double.synthetic_images == 2 * TABLE["synthetic_images"][0]
    assert half.train_epochs == double.train_epochs == TABLE["train_epochs"][0]
    tiny = budget_for(0.01)
    assert tiny.fit_iters >= 2 and tiny.synthetic_images >= 4


def test_bad_budgets_are_one_line_errors():
    with pytest.raises(DganError, match="budget-minutes"):
        budget_for(0)
    with pytest.raises(DganError, match="unknown field"):
        budget_for(60, fit_iterations=3)
    with pytest.raises(DganError, match="multiple of 16"):
        budget_for(60, train_patch=50)
