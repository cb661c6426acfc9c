import json

import pytest

import advzoo
from advzoo.cli import main

needs_weights = pytest.mark.skipif(
    "dcgan_fashion_mnist" not in advzoo.list_models(pretrained=True),
    reason="needs the shipped dcgan_fashion_mnist preset")


def test_list_and_info(capsys):
    main(["list"])
    out = capsys.readouterr().out
    assert "dcgan_fashion_mnist" in out and "fashion_mnist_classifier" in out
    main(["info", "dcgan_fashion_mnist", "--json"])
    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "dcgan" and "recipe" in info


def test_unknown_name_exits_with_a_message():
    with pytest.raises(SystemExit, match="Did you mean"):
        main(["info", "dcgan_fashion"])


@needs_weights
def test_sample_writes_a_grid(tmp_path):
    from PIL import Image

    main(["sample", "dcgan_fashion_mnist", "--out", str(tmp_path / "g.png"), "--n", "20"])
    img = Image.open(tmp_path / "g.png")
    assert img.size[0] > 100


@needs_weights
def test_eval_prints_and_writes_json(tmp_path, capsys):
    main(["eval", "dcgan_fashion_mnist", "--set", "n_samples=500", "--json", str(tmp_path / "m.json")])
    metrics = json.loads((tmp_path / "m.json").read_text())["metrics"]
    assert metrics["n_samples"] == 500 and metrics["classifier_fid"] > 0
    assert "classifier_fid" in capsys.readouterr().out


@needs_weights
def test_download_prints_a_verified_path(capsys):
    main(["download", "dcgan_fashion_mnist"])
    assert capsys.readouterr().out.strip().endswith("model.weights.h5")


def test_train_smoke_run_and_refusal_to_export_overridden_runs(tmp_path, capsys):
    with pytest.raises(SystemExit, match="export refuses"):
        main(["train", "zoo_configs/dcgan_fashion_mnist.yaml", "--run-dir", str(tmp_path / "r"),
              "--epochs", "1", "--max-steps-per-epoch", "2", "--export",
              "--export-dir", str(tmp_path / "w")])
    assert not (tmp_path / "r").exists() and not (tmp_path / "w").exists()  # refused up front
    main(["train", "dcgan_fashion_mnist", "--run-dir", str(tmp_path / "r"),  # by registered name
          "--epochs", "1", "--max-steps-per-epoch", "2"])
    assert (tmp_path / "r" / "final.weights.h5").exists()
    assert "trained 1 epochs" in capsys.readouterr().out


def test_train_malformed_config_is_reported(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [")
    with pytest.raises(SystemExit, match="not valid YAML"):
        main(["train", str(bad)])


@pytest.mark.skipif("fashion_mnist_classifier" not in advzoo.list_models(pretrained=True),
                    reason="needs the shipped evaluator preset")
def test_tune_runs_a_small_search(tmp_path, capsys):
    main(["tune", "zoo_configs/dcgan_fashion_mnist.yaml", "--max-trials", "1", "--epochs", "1",
          "--steps-per-epoch", "2", "--n-eval-samples", "100", "--directory", str(tmp_path)])
    out = capsys.readouterr().out
    assert "best hyperparameters" in out and "generator_lr" in out


def test_os_errors_are_one_line_not_tracebacks(tmp_path, capsys):
    truncated = tmp_path / "truncated.weights.h5"
    truncated.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 50)
    with pytest.raises(SystemExit) as caught:
        main(["eval", "fashion_mnist_classifier", "--weights", str(truncated)])
    message = str(caught.value)
    assert message.startswith("advzoo eval: ") and "\n" not in message
    locked = tmp_path / "locked"
    locked.write_text("a file where a directory should be")
    with pytest.raises(SystemExit, match="advzoo sample: "):
        main(["sample", "dcgan_fashion_mnist", "--out", str(locked / "grid.png"), "--n", "4"])


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ValueError, match="Unknown model"):
        main(["--debug", "info", "dcgan_fashion"])


def test_download_of_a_misspelt_name_suggests_the_right_one():
    with pytest.raises(SystemExit, match="Did you mean 'dcgan_fashion_mnist'"):
        main(["download", "dcgan_fashon_mnist"])
