"""helpers.frameworks: PyTorch and TensorFlow/Keras live together in one process.

Each check runs in a fresh subprocess, because import order is per process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

HIDE = """
import sys

class _Hide:  # an import hook that makes one package look uninstalled
    def __init__(self, package):
        self.package = package

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == self.package:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

"""


def _run(code: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", HIDE + textwrap.dedent(code)], capture_output=True, text=True, timeout=600, env=env
    )


def test_both_frameworks_train_a_tiny_model_in_one_process():
    result = _run(
        """
        from helpers.frameworks import keras, tf, torch
        import sys
        import numpy as np
        assert list(sys.modules).index("torch") < list(sys.modules).index("tensorflow")

        rng = np.random.default_rng(0)
        x = rng.normal(size=(256, 2)).astype("float32")
        y = (x[:, 0] + x[:, 1] > 0).astype("float32")[:, None]

        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for _ in range(100):
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(xt), yt)
            loss.backward()
            opt.step()
        torch_acc = ((net(xt) > 0).float() == yt).float().mean().item()

        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"),
                                  keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=20, batch_size=64, verbose=0)
        keras_acc = model.evaluate(x, y, verbose=0)[1]
        print(f"torch={torch_acc:.3f} keras={keras_acc:.3f}")
        assert torch_acc > 0.95 and keras_acc > 0.95
        """
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr[-3000:]}"
    assert "torch=" in result.stdout


def test_tensorflow_first_is_refused_with_advice():
    result = _run(
        """
        import tensorflow
        try:
            import helpers.frameworks
        except ImportError as error:
            print("REFUSED:", error)
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "REFUSED:" in result.stdout and "Restart the kernel" in result.stdout


def test_frameworks_are_the_real_modules():
    result = _run(
        """
        from helpers.frameworks import keras, tf, torch
        print(torch.__name__, tf.__name__, keras.__name__, keras.backend.backend())
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["torch", "tensorflow", "keras", "tensorflow"]


def test_keras_uses_tensorflow_even_when_keras_json_names_another_backend(tmp_path):
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    result = _run(
        """
        from helpers.frameworks import keras
        print(keras.backend.backend())
        """,
        KERAS_HOME=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["tensorflow"]


def test_pytorch_only_reader_gets_torch_and_a_clear_message_for_keras():
    result = _run(
        """
        sys.meta_path.insert(0, _Hide("tensorflow"))
        from helpers.frameworks import HAS_TENSORFLOW, HAS_TORCH, keras, tf, torch
        assert HAS_TORCH and not HAS_TENSORFLOW and not keras and not tf
        print(torch.ones(2).sum().item())
        try:
            keras.layers.Dense(1)
        except ModuleNotFoundError as error:
            print("MISSING:", error)
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("2.0")
    assert "MISSING: keras is not installed" in result.stdout and "pip install tensorflow" in result.stdout


def test_tensorflow_only_reader_gets_keras_and_a_clear_message_for_torch():
    result = _run(
        """
        sys.meta_path.insert(0, _Hide("torch"))
        from helpers.frameworks import HAS_TENSORFLOW, HAS_TORCH, keras, torch
        assert HAS_TENSORFLOW and not HAS_TORCH
        print(keras.ops.sum(keras.ops.ones(3)).numpy())
        try:
            torch.nn.Linear(2, 1)
        except ModuleNotFoundError as error:
            print("MISSING:", error)
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("3.0")
    assert "MISSING: torch is not installed" in result.stdout and "pip install torch" in result.stdout
