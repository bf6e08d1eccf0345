import pytest
import torch

from dgan_blender.fit.discriminator import PatchGAN, d_loss, diff_augment, g_loss


@pytest.mark.parametrize("spectral", [True, False])
def test_patchgan_gives_a_map_of_logits(spectral):
    d = PatchGAN(8, spectral=spectral)
    assert d(torch.rand(2, 1, 64, 64)).shape == (2, 1, 6, 6)
    assert d(torch.rand(2, 1, 32, 32)).shape[-1] >= 1


@pytest.mark.parametrize("kind", ["lsgan", "hinge"])
def test_losses_prefer_the_right_answers(kind):
    good, bad = torch.ones(4, 1, 3, 3), -torch.ones(4, 1, 3, 3)
    assert d_loss(good, bad, kind) < d_loss(bad, good, kind)
    assert g_loss(good, kind) < g_loss(bad, kind)


def test_diff_augment_is_seeded_and_differentiable():
    x = torch.rand(3, 1, 32, 32, requires_grad=True)
    a = diff_augment(x, torch.Generator().manual_seed(0))
    b = diff_augment(x, torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape
    assert not torch.equal(a, x)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
