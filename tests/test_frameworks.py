"""helpers.frameworks: PyTorch and TensorFlow/Keras live together in one process.

Each check runs in a fresh subprocess, because import order is per process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap



def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=600
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
