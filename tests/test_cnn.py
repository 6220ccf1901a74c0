"""Tests for the CNN chapter's network, augmentation and recipe (helpers.cnn, helpers.cnn_keras)."""

import numpy as np
import pytest
import torch

from helpers import cnn
from helpers.cnn_keras import OneCycle, book_cnn_keras
from helpers.frameworks import keras

MEAN01, STD01 = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)


def test_book_cnn_shape_and_parameters_match_keras():
    model = cnn.book_cnn()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    n_torch = sum(p.numel() for p in model.parameters())
    assert n_torch == 288_746  # the count the chapter and the benchmark print
    keras_model = book_cnn_keras(mean=(120, 120, 120), std=(60, 60, 60))
    assert sum(int(np.prod(v.shape)) for v in keras_model.trainable_weights) == n_torch


def test_residual_block_keeps_shape_and_adds_input():
    block = cnn.residual_block(8)
    x = torch.randn(2, 8, 6, 6)
    assert block(x).shape == x.shape
    for p in block.parameters():
        torch.nn.init.zeros_(p)  # the body's last BatchNorm outputs 0, so the block is relu(x + 0)
    assert torch.equal(block(x), torch.relu(x))
    no_skip = cnn.residual_block(8, skip=False)
    for p in no_skip.parameters():
        torch.nn.init.zeros_(p)
    assert torch.equal(no_skip(x), torch.zeros_like(x))  # without the skip nothing of x gets through


def test_residual_block_matches_he_et_al():
    # conv-BN-ReLU, conv-BN, + x, ReLU: written out by hand with the block's own layers
    torch.manual_seed(0)
    block = cnn.residual_block(4).eval()
    x = torch.randn(3, 4, 5, 5)
    conv1, bn1, _, conv2, bn2 = block.body
    expected = torch.relu(x + bn2(conv2(torch.relu(bn1(conv1(x))))))
    torch.testing.assert_close(block(x), expected)
    assert len([m for m in block.body if isinstance(m, torch.nn.ReLU)]) == 1


def test_residual_variant_adds_one_block_before_the_head():
    model = cnn.book_cnn_residual()
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert isinstance(model[-4], cnn.ResidualBlock) and model[-4].skip
    assert sum(p.numel() for p in model.parameters()) == 584_170  # 288,746 + two 128->128 conv-BN layers
    control = cnn.book_cnn_residual(skip=False)
    assert not control[-4].skip
    assert sum(p.numel() for p in control.parameters()) == 584_170  # the skip has no parameters


def test_bad_channels_raise():
    with pytest.raises(ValueError, match="positive"):
        cnn.conv_bn_relu(0, 4)


def test_train_transform_shifts_flips_and_eval_is_deterministic():
    torch.manual_seed(0)
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    train, evaluate = cnn.train_transform(MEAN01, STD01), cnn.eval_transform(MEAN01, STD01)
    views = [train(image) for _ in range(8)]
    assert all(v.shape == (3, 32, 32) and v.dtype == torch.float32 for v in views)
    assert not all(torch.equal(views[0], v) for v in views[1:])  # random
    plain = evaluate(image)
    assert torch.equal(plain, evaluate(image))
    expected = (torch.tensor(image, dtype=torch.float32).permute(2, 0, 1) / 255 - 0.5) / 0.25
    torch.testing.assert_close(plain, expected)
    # whole-pixel shifts: every augmented pixel value is one of the image's (reflected) pixel values
    values = set(np.unique(plain.numpy().round(4)))
    assert set(np.unique(views[0].numpy().round(4))) <= values


def test_dataset_length_mismatch_raises():
    with pytest.raises(ValueError, match="labels"):
        cnn.ImageDataset(np.zeros((3, 32, 32, 3), np.uint8), np.zeros(2), cnn.eval_transform(MEAN01, STD01))


def test_train_one_cycle_learns_a_tiny_problem_and_bn_reestimation():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1], 16)
    images = np.where(labels[:, None, None, None] == 1, 200, 50).astype(np.uint8) * np.ones((32, 32, 32, 3), np.uint8)
    images = (images + rng.integers(0, 40, images.shape)).astype(np.uint8)
    data = cnn.ImageDataset(images, labels, cnn.eval_transform(MEAN01, STD01))
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True)
    model = cnn.book_cnn(widths=(4, 4, 4), num_classes=2)
    history = cnn.train_one_cycle(model, loader, loader, cnn.Recipe(epochs=3, batch=8), log=None)

    assert len(history["loss"]) == 3 and len(history["learning_rate"]) == 3 * len(loader)
    assert max(history["learning_rate"]) == pytest.approx(0.05)
    assert history["loss"][-1] < history["loss"][0] and len(history["val_accuracy"]) == 3
    cnn.reestimate_bn_statistics(model, loader)  # 12 steps are too few for the running averages
    assert not model.training
    with torch.no_grad():  # the first BatchNorm's input: the first convolution, max-pooled
        first = model[1](model[0](torch.stack([data[i][0] for i in range(len(data))])))
    torch.testing.assert_close(model[2].running_mean, first.mean(dim=(0, 2, 3)), rtol=1e-4, atol=1e-5)


def test_one_cycle_matches_torch_and_clamps():
    steps = 40
    schedule = OneCycle(peak=0.05, total_steps=steps)
    probe = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.05)
    reference = torch.optim.lr_scheduler.OneCycleLR(probe, max_lr=0.05, total_steps=steps, pct_start=0.25,
                                                    anneal_strategy="linear")
    torch_rates = []
    for _ in range(steps):
        torch_rates.append(probe.param_groups[0]["lr"])
        probe.step()
        reference.step()
    np.testing.assert_allclose([float(schedule(s)) for s in range(steps)], torch_rates, rtol=1e-5, atol=1e-8)
    past = [float(schedule(s)) for s in (steps - 1, steps, steps + 10, 10 * steps)]
    assert min(past) > 0
    np.testing.assert_allclose(past, past[0], rtol=1e-6)


def test_one_cycle_serialises():
    schedule = OneCycle(peak=0.1, total_steps=100, warmup=0.3)
    restored = OneCycle.from_config(schedule.get_config())
    assert [float(restored(s)) for s in (0, 29, 99)] == [float(schedule(s)) for s in (0, 29, 99)]
    optimizer = keras.optimizers.SGD(learning_rate=schedule)
    config = keras.optimizers.serialize(optimizer)
    again = keras.optimizers.deserialize(config, custom_objects={"OneCycle": OneCycle})
    assert float(again.learning_rate) == pytest.approx(float(schedule(0)))


def test_one_cycle_rejects_bad_settings():
    with pytest.raises(ValueError, match="warmup"):
        OneCycle(peak=0.1, total_steps=100, warmup=1.5)


def _all_crops_and_flips(image: torch.Tensor, pad: int = 4) -> list[torch.Tensor]:
    padded = torch.nn.functional.pad(image[None], (pad, pad, pad, pad), mode="reflect")[0]
    h, w = image.shape[-2:]
    crops = [padded[:, dy:dy + h, dx:dx + w] for dy in range(2 * pad + 1) for dx in range(2 * pad + 1)]
    return crops + [c.flip(-1) for c in crops]


def test_random_crop_flip_gives_train_transforms_crops_for_a_whole_batch():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8)
    x = torch.tensor(images).permute(0, 3, 1, 2).float()
    out = cnn.random_crop_flip(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape and not torch.equal(out, x)
    for original, view in zip(x, out):
        assert any(torch.equal(view, c) for c in _all_crops_and_flips(original))
    # the per-image pipeline draws from the same set of views (up to the standardisation)
    torch.manual_seed(0)
    one = cnn.train_transform((0, 0, 0), (1 / 255, 1 / 255, 1 / 255))(images[0])
    assert any(torch.allclose(one, c) for c in _all_crops_and_flips(x[0]))
    # every one of the 162 views (81 shifts, flipped or not) occurs: 3,000 draws miss one with
    # probability below 162 * (1 - 1/162) ** 3000, about 1e-6 (and the generator is seeded)
    many = cnn.random_crop_flip(x[:1].repeat(3000, 1, 1, 1), generator=torch.Generator().manual_seed(1))
    key = {c.numpy().tobytes(): i for i, c in enumerate(_all_crops_and_flips(x[0]))}
    assert len(key) == 162
    assert {key[v.numpy().tobytes()] for v in many} == set(range(162))


def test_tensor_batches_standardise_shuffle_and_augment():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (130, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(130) % 10
    plain = cnn.TensorBatches(images, labels, MEAN01, STD01, batch_size=50)
    assert len(plain) == 3 and [len(yb) for _, yb in plain] == [50, 50, 30]
    xb, yb = next(iter(plain))
    expected = torch.stack([cnn.eval_transform(MEAN01, STD01)(im) for im in images[:50]])
    torch.testing.assert_close(xb, expected)
    assert yb.dtype == torch.long and yb.tolist() == labels[:50].tolist()
    shuffled = cnn.TensorBatches(images, labels, MEAN01, STD01, batch_size=50, shuffle=True, augment=True, seed=3)
    first = torch.cat([yb for _, yb in shuffled])
    second = torch.cat([yb for _, yb in shuffled])
    assert sorted(first.tolist()) == sorted(labels.tolist()) and not torch.equal(first, second)  # new order
    again = cnn.TensorBatches(images, labels, MEAN01, STD01, batch_size=50, shuffle=True, augment=True, seed=3)
    assert torch.equal(torch.cat([yb for _, yb in again]), first)  # the seed fixes order and views
    with pytest.raises(ValueError, match="labels"):
        cnn.TensorBatches(images, labels[:5], MEAN01, STD01)
    model = cnn.book_cnn((4, 4, 4))
    accuracy, probs = cnn.evaluate(model, plain)
    assert probs.shape == (130, 10) and accuracy == float(np.mean(probs.argmax(axis=1) == labels))


# --- Keras' settings for the PyTorch run (benchmarks/cnn_ablation.py) ---------------------------------


@pytest.mark.parametrize("fy, fx", [(0.1, -0.07), (-0.125, 0.125), (0.03, 0.0)])
def test_shift_bilinear_is_keras_random_translation_for_a_fixed_shift(fy, fx):
    x = np.random.default_rng(0).uniform(0, 255, (3, 32, 32, 3)).astype("float32")
    layer = keras.layers.RandomTranslation((fy, fy), (fx, fx), fill_mode="reflect")  # lower = upper: fixed
    expected = np.asarray(layer(x, training=True))
    shifted = cnn.shift_bilinear(torch.tensor(x).permute(0, 3, 1, 2), torch.full((3,), fy * 32),
                                 torch.full((3,), fx * 32)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(shifted, expected, atol=1e-3)


def test_shift_bilinear_whole_pixels_mirror_with_the_edge_repeated():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    out = cnn.shift_bilinear(x, torch.tensor([0.0]), torch.tensor([2.0]))  # two columns to the right
    np.testing.assert_array_equal(out[0, 0, 0].numpy(), [1.0, 0.0, 0.0, 1.0])  # b a | a b: "symmetric"
    half = cnn.shift_bilinear(x, torch.tensor([0.5]), torch.tensor([0.0]))
    np.testing.assert_allclose(half[0, 0, 2].numpy(), ((x[0, 0, 1] + x[0, 0, 2]) / 2).numpy())
    with pytest.raises(ValueError, match="smaller than the image"):
        cnn.shift_bilinear(x, torch.tensor([4.0]), torch.tensor([0.0]))


def test_random_shift_flip_shifts_continuously_within_the_range():
    x = torch.randn(1, 3, 32, 32).repeat(400, 1, 1, 1)
    out = cnn.random_shift_flip(x, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    crops = _all_crops_and_flips(x[0])
    whole = sum(any(torch.allclose(v, c) for c in crops) for v in out[:40])
    assert whole == 0  # continuous shifts are (almost surely) never whole-pixel crops
    same = cnn.TensorBatches(np.zeros((8, 32, 32, 3), np.uint8), np.zeros(8), MEAN01, STD01, augment=True,
                             shift="bilinear")
    assert next(iter(same))[0].shape == (8, 3, 32, 32)
    with pytest.raises(ValueError, match="shift"):
        cnn.TensorBatches(np.zeros((8, 32, 32, 3), np.uint8), np.zeros(8), MEAN01, STD01, shift="nearest")


def test_glorot_init_and_batchnorm_eps_match_keras_defaults():
    torch.manual_seed(0)
    model = cnn.set_batchnorm_eps_(cnn.glorot_init_(cnn.book_cnn()), 1e-3)
    keras_model = book_cnn_keras(mean=(120, 120, 120), std=(60, 60, 60))
    keras_convs = [v for v in keras_model.trainable_weights if len(v.shape) == 4]
    torch_convs = [m.weight for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    for k, t in zip(keras_convs, torch_convs, strict=True):
        limit = np.sqrt(6 / (np.prod(k.shape[:2]) * (k.shape[2] + k.shape[3])))  # Keras' GlorotUniform
        assert np.abs(np.asarray(k)).max() <= limit and float(t.detach().abs().max()) <= limit
        assert float(t.detach().abs().max()) > 0.95 * limit  # uniform up to the limit, not a smaller default
    assert torch.count_nonzero(model[-1].bias) == 0
    assert {m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)} == {1e-3}
    with pytest.raises(ValueError, match="eps"):
        cnn.set_batchnorm_eps_(model, 0.0)


def _one_step_each(recipe: cnn.Recipe, steps: int = 6) -> tuple[list[torch.Tensor], list[float]]:
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    xs, ys = torch.randn(steps, 4, 3), torch.randint(0, 2, (steps, 4))
    loader = list(zip(xs, ys))  # a list of batches has a length, as train_one_cycle needs
    history = cnn.train_one_cycle(model, loader, recipe=recipe, log=None)
    return [p.detach().clone() for p in model.parameters()], history["learning_rate"]


def test_recipe_options_reproduce_keras_sgd_step_by_step():
    recipe = cnn.Recipe(epochs=1, label_smoothing=0.0, cycle_momentum=False, decoupled_weight_decay=True,
                        keras_velocity=True, weight_decay=0.05)
    trained, rates = _one_step_each(recipe)
    torch.manual_seed(0)  # Keras' SGD (keras/src/optimizers/sgd.py, base_optimizer._apply_weight_decay)
    reference = torch.nn.Linear(3, 2)
    xs, ys = torch.randn(6, 4, 3), torch.randint(0, 2, (6, 4))
    w = [p.detach().clone() for p in reference.parameters()]
    velocity = [torch.zeros_like(p) for p in w]
    for x, y, lr in zip(xs, ys, rates):
        for p, q in zip(reference.parameters(), w):
            p.data = q.clone().requires_grad_(True)
        reference.zero_grad()
        torch.nn.functional.cross_entropy(reference(x), y).backward()
        grads = [p.grad for p in reference.parameters()]
        w = [q - q * 0.05 * lr for q in w]  # decoupled decay first
        velocity = [0.9 * v - lr * g for v, g in zip(velocity, grads)]
        w = [q + 0.9 * v - lr * g for q, v, g in zip(w, velocity, grads)]  # Nesterov
    for a, b in zip(trained, w):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    default, _ = _one_step_each(cnn.Recipe(epochs=1, label_smoothing=0.0, weight_decay=0.05))
    assert not torch.allclose(default[0], trained[0])  # the options change the updates


def test_recipe_cycle_momentum_false_keeps_momentum_fixed():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    loader = [(torch.randn(4, 3), torch.randint(0, 2, (4,))) for _ in range(8)]
    seen = []
    original = torch.optim.SGD.step

    def spy(self, *args, **kwargs):
        seen.append(self.param_groups[0]["momentum"])
        return original(self, *args, **kwargs)

    torch.optim.SGD.step = spy
    try:
        cnn.train_one_cycle(model, loader, recipe=cnn.Recipe(epochs=1, cycle_momentum=False), log=None)
        fixed = list(seen)
        seen.clear()
        cnn.train_one_cycle(model, loader, recipe=cnn.Recipe(epochs=1), log=None)
    finally:
        torch.optim.SGD.step = original
    assert set(fixed) == {0.9}
    assert max(seen) == pytest.approx(0.95) and min(seen) < 0.87
