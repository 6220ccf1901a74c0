"""helpers.plots draws what it promises and rejects inputs it cannot draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import plots


def test_decision_boundary_draws_points_contour_and_labels():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    fig, ax = plt.subplots()
    plots.plot_decision_boundary(lambda grid: (grid[:, 1] > 0.5).astype(float), X, y, ax=ax, title="t")
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()
    assert len(ax.collections) >= 2  # filled contours + scatter
    plt.close(fig)


def test_decision_boundary_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        plots.plot_decision_boundary(lambda g: g[:, 0], np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        plots.plot_decision_boundary(lambda g: g[:, 0], np.zeros((4, 2)), np.zeros(3))


def test_show_images_grid_and_captions():
    images = np.zeros((7, 8, 8, 3), dtype=np.uint8)
    fig = plots.show_images(images, [0, 1, 2, 0, 1, 2, 0], ["a", "b", "c"], ncols=4, title="grid")
    assert len(fig.axes) == 8
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]
    plt.close(fig)


def test_show_images_rejects_bad_input():
    with pytest.raises(ValueError, match="images must have shape"):
        plots.show_images(np.zeros(5), [0] * 5, ["a"])
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        plots.show_images(np.zeros((3, 4, 4)), [0, 0], ["a"])
    with pytest.raises(ValueError, match="no images"):
        plots.show_images(np.zeros((0, 4, 4)), [], ["a"])


def test_plot_history_draws_training_and_validation():
    fig = plots.plot_history({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2], "accuracy": [0.1, 0.5, 0.9]},
                             metrics=("loss", "accuracy"))
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 1
    assert loss_ax.get_xlabel() == "epoch"
    plt.close(fig)


def test_plot_history_names_missing_metric():
    with pytest.raises(KeyError, match="auc"):
        plots.plot_history({"loss": [1.0]}, metrics=("auc",))
