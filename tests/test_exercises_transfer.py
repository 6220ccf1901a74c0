"""The transfer chapter's self-checks: the reference solutions pass, typical mistakes are named."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.exercises import STARTER, transfer

torch = pytest.importorskip("torch")
nn = torch.nn


# --- Exercise 1: freeze a backbone, new head -----------------------------------------------------


def freeze_for_linear_probe(model, n_classes):
    """The dropdown's solution."""
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    return model


def forgot_to_freeze(model, n_classes):
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    return model


def froze_after_replacing(model, n_classes):
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    for p in model.parameters():
        p.requires_grad = False
    return model


def typed_512(model, n_classes):
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(512, n_classes)
    return model


def four_classes(model, n_classes):
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, 4)
    return model


def froze_only_the_first_layer(model, n_classes):
    for p in model.conv1.parameters() if hasattr(model, "conv1") else model.features[0].parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, n_classes)
    return model


def no_return(model, n_classes):
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, n_classes)


def starter(model, n_classes):
    ...


def test_ex1_accepts_the_solution():
    exercise = transfer.freeze_for_linear_probe()
    exercise.assert_correct(freeze_for_linear_probe)
    assert exercise.check(starter).message == STARTER


@pytest.mark.parametrize("wrong, words", [
    (forgot_to_freeze, "every backbone parameter is still trainable"),
    (froze_after_replacing, "freeze after replacing the head"),
    (typed_512, "model.fc.in_features"),
    (four_classes, "one per target class"),
    (froze_only_the_first_layer, "some backbone parameters are still trainable"),
    (no_return, "forget to `return model`"),
    (lambda model, n: model.fc, "return the model itself"),
    (2052, "pass your function"),
])
def test_ex1_names_the_mistake(wrong, words):
    feedback = transfer.freeze_for_linear_probe().assert_mistake(wrong, words)
    assert "3,591" not in feedback.message and "75" not in feedback.message  # trainable counts asked for


# --- Exercise 2: pooled features -----------------------------------------------------------------


def embed(backbone, images):
    """The dropdown's solution."""
    backbone.eval()
    with torch.no_grad():
        return backbone(images).mean(dim=(2, 3))


def no_eval(backbone, images):
    with torch.no_grad():
        return backbone(images).mean(dim=(2, 3))


def flattened(backbone, images):
    backbone.eval()
    with torch.no_grad():
        return backbone(images).flatten(1)


def max_pooled(backbone, images):
    backbone.eval()
    with torch.no_grad():
        return backbone(images).amax(dim=(2, 3))


def over_channels(backbone, images):
    backbone.eval()
    with torch.no_grad():
        return backbone(images).mean(dim=1)


def with_grad(backbone, images):
    backbone.eval()
    return backbone(images).mean(dim=(2, 3))


def eval_after_a_train_pass(backbone, images):
    backbone(images)  # a stray forward pass in training mode updates the running statistics
    return embed(backbone, images)


def test_ex2_accepts_the_solution_tensor_or_array():
    exercise = transfer.pooled_features()
    exercise.assert_correct(embed)
    exercise.assert_correct(lambda b, x: embed(b, x).numpy())


@pytest.mark.parametrize("wrong, words", [
    (no_eval, "backbone.eval()"),
    (flattened, "flattened"),
    (max_pooled, "maxima"),
    (over_channels, "over the channels"),
    (with_grad, "torch.no_grad()"),
    (eval_after_a_train_pass, "running statistics"),
    (lambda b, x: None, "forget to `return`"),
])
def test_ex2_names_the_mistake(wrong, words):
    transfer.pooled_features().assert_mistake(wrong, words)


def test_ex2_cases_make_the_eval_mistake_visible():
    for backbone, images in transfer._feature_cases():
        assert backbone.training
        eval_features = transfer._pooled(backbone, images, "eval")
        train_features = transfer._pooled(backbone, images, "train")
        assert np.abs(eval_features - train_features).max() > 0.05
        assert backbone.training  # _pooled works on a copy


# --- Exercise 3: MobileNetV2's input ------------------------------------------------------------


def prepare(images):
    """The dropdown's solution, without Keras (mode "tf" of preprocess_input: x / 127.5 - 1)."""
    big = np.repeat(np.repeat(images, 3, axis=1), 3, axis=2).astype("float32")
    return big / 127.5 - 1


@pytest.mark.parametrize("wrong, words", [
    (lambda x: np.repeat(np.repeat(x, 3, axis=1), 3, axis=2) / 255, "[0, 1]"),
    (lambda x: (np.repeat(np.repeat(x, 3, axis=1), 3, axis=2) / 255 - [0.485, 0.456, 0.406])
     / [0.229, 0.224, 0.225], "torchvision"),
    (lambda x: np.repeat(np.repeat(x, 3, axis=1), 3, axis=2)[..., ::-1] - [103.939, 116.779, 123.68], "caffe"),
    (lambda x: np.tile(x, (1, 3, 3, 1)) / 127.5 - 1, "np.tile"),
    (lambda x: np.repeat(x, 3, axis=1) / 127.5 - 1, "only the height"),
    (lambda x: x / 127.5 - 1, "still 32 pixels"),
    (lambda x: np.moveaxis(prepare(x), 3, 1), "channels-first"),
    (lambda x: None, "forget to `return`"),
])
def test_ex3_names_the_mistake(wrong, words):
    transfer.mobilenet_input().assert_mistake(wrong, words)


def test_ex3_accepts_the_solution_and_keras_preprocess_input():
    exercise = transfer.mobilenet_input()
    exercise.assert_correct(prepare)
    keras = pytest.importorskip("keras")
    exercise.assert_correct(lambda x: keras.applications.mobilenet_v2.preprocess_input(
        np.repeat(np.repeat(x, 3, axis=1), 3, axis=2).astype("float32")))
