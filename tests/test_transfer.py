"""helpers.transfer: the offline ImageNet network of chapter 8, its input, features and linear probe."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite_pytorch")

from sklearn.datasets import load_sample_image  # noqa: E402

from helpers import transfer  # noqa: E402


def square(name: str) -> np.ndarray:
    image = load_sample_image(name)
    h, w, _ = image.shape
    side = min(h, w)
    return image[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side]


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    loaded, message = transfer.load_efficientnet_lite0()
    assert loaded is not None, message
    return loaded


def test_the_real_weights_load_offline(model):
    assert sum(p.numel() for p in model.parameters()) == 4_652_008
    assert model._fc.out_features == 1000 and not model.training


def test_it_recognises_the_sample_photos(model):
    # what a random network could not do: name scikit-learn's two sample photos
    (flower,) = transfer.top_k(model, square("flower.jpg")[None])
    (china,) = transfer.top_k(model, square("china.jpg")[None])
    assert flower[0][0] == "daisy", flower
    assert {"palace", "bell cote", "monastery", "boathouse"} & {name for name, _ in china}, china
    assert all(0 < p <= 1 for _, p in flower) and flower[0][1] >= flower[1][1] >= flower[2][1]


def test_scaling_matters_for_these_weights(model):
    # TensorFlow-style scaling is the one the weights were trained with: more confident on the daisy
    right = transfer.top_k(model, square("flower.jpg")[None], k=1)[0][0]
    wrong = transfer.top_k(model, square("flower.jpg")[None], k=1, scaling="imagenet-mean-std")[0][0]
    assert right[0] == "daisy" and right[1] > wrong[1] * 1.5, (right, wrong)


def test_prepare_scales_and_resizes():
    images = np.array([[[[0, 127, 255]]]], dtype=np.uint8).repeat(32, 1).repeat(32, 2)
    x = transfer.prepare(images, 64)
    assert x.shape == (1, 3, 64, 64)
    assert torch.allclose(x[0, :, 0, 0], torch.tensor([-127 / 128, 0.0, 1.0]))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 32, 32, 3), np.float32), "uint8"),
    (np.zeros((32, 32, 3), np.uint8), "(N, height, width, 3)"),
    (np.zeros((2, 3, 32, 32), np.uint8), "(N, height, width, 3)"),
])
def test_prepare_names_the_problem(bad, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        transfer.prepare(bad, 64)
    with pytest.raises(ValueError, match="scaling"):
        transfer.prepare(np.zeros((1, 8, 8, 3), np.uint8), 8, scaling="caffe")


def test_embed_is_one_pooled_vector_per_image_and_changes_nothing(model):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 32, 32, 3), dtype=np.uint8)
    buffers = {n: b.clone() for n, b in model.named_buffers()}
    model.train()                                   # embed must switch to eval mode itself
    z = transfer.embed(model, images, size=64, batch_size=3)
    assert z.shape == (7, 1280) and np.isfinite(z).all()
    assert not model.training
    assert all(torch.equal(buffers[n], b) for n, b in model.named_buffers())
    np.testing.assert_allclose(z, transfer.embed(model, images, size=64, batch_size=7), rtol=1e-4, atol=1e-5)
    with torch.no_grad():
        direct = model.extract_features(transfer.prepare(images[:2], 64)).mean(dim=(2, 3)).numpy()
    np.testing.assert_allclose(z[:2], direct, rtol=1e-4, atol=1e-5)


def test_missing_packages_give_a_message_not_an_error(monkeypatch):
    real_import = builtins.__import__

    def no_efficientnet(name, *args, **kwargs):
        if name.startswith("efficientnet"):
            raise ImportError(f"No module named {name!r}", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_efficientnet)
    loaded, message = transfer.load_efficientnet_lite0()
    assert loaded is None and "pip install" in message and transfer.EFFICIENTNET_PACKAGES[0] in message


def test_linear_probe_chooses_C_on_validation_only():
    rng = np.random.default_rng(0)
    # 2 informative dimensions among 20: the strongest penalty (C = 0.001) underfits on every seed
    def draw(n):
        y = rng.integers(0, 2, n)
        x = rng.normal(size=(n, 20))
        x[:, :2] += 1.5 * (2 * y[:, None] - 1)
        return x, y
    (xt, yt), (xv, yv), (xs, ys) = draw(60), draw(400), draw(400)
    probe = transfer.linear_probe(xt, yt, xv, yv, Cs=(10.0, 0.001, 0.01, 1.0))
    assert list(probe.val_accuracy) == [0.001, 0.01, 1.0, 10.0]
    assert probe.val_accuracy[probe.C] == max(probe.val_accuracy.values())
    assert probe.C == min(C for C, a in probe.val_accuracy.items() if a == max(probe.val_accuracy.values()))
    assert probe.C > 0.001 and probe.score(xs, ys) > 0.9, probe  # 0.93-0.98 over 8 seeds
    flipped = transfer.linear_probe(xt, yt, xv, 1 - yv, Cs=(0.001, 10.0))   # validation decides, not training
    assert flipped.val_accuracy[flipped.C] == max(flipped.val_accuracy.values())


def test_linear_probe_rejects_mismatched_input():
    with pytest.raises(ValueError, match="validation features and labels differ"):
        transfer.linear_probe(np.zeros((4, 2)), np.array([0, 1, 0, 1]), np.zeros((3, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="Cs is empty"):
        transfer.linear_probe(np.zeros((4, 2)), np.array([0, 1, 0, 1]), np.zeros((2, 2)), np.array([0, 1]), Cs=())
