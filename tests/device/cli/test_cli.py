"""The command line: one parser built from the command groups, light to build, and every command runs
a function of its own."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from device.cli import GROUPS, build_parser, main
from tests.conftest import REPO

HEAVY = ("face_recognition", "dlib", "statsmodels", "matplotlib", "fastapi", "uvicorn", "skimage", "faiss")


def leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], object]]:
    """(command words, the handler its parser names) for every command that runs something."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += leaves(sub, (*path, name))
            return found
    return [(path, parser.get_default("handler"))]


def test_every_command_names_the_function_that_runs_it() -> None:
    commands = leaves(build_parser())
    assert {" ".join(words) for words, _ in commands} == {
        "run", "config check", "config show", "enroll", "forget", "sensors read", "heatmap", "report",
        "doctor", "central-sim", "demo", "keys new", "keys rotate", "token issue", "outbox show",
        "outbox requeue", "state check", "state restore", "state start-empty", "customers list",
        "customers show",
    }  # fmt: skip
    missing = [" ".join(words) for words, handler in commands if not callable(handler)]
    assert not missing, f"commands without a handler: {missing}"


def test_each_group_module_registers_commands_of_its_own() -> None:
    for group in GROUPS:
        commands = argparse.ArgumentParser().add_subparsers()
        group.register(commands, argparse.ArgumentParser(add_help=False))
        assert commands.choices, f"{group.__name__} registers no command"


@pytest.mark.subprocess
def test_building_the_parser_loads_none_of_the_heavy_libraries() -> None:
    """`config check` runs as systemd's ExecStartPre= on every start: it must not pay for dlib."""
    probe = (
        "import sys\nfrom device.cli import build_parser\nbuild_parser()\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


@pytest.mark.parametrize(("words", "extra"), [(["central-sim", "--help"], "fastapi"), (["demo"], "fastapi")])
@pytest.mark.subprocess
def test_developer_commands_on_a_kiosk_without_their_extras_say_so(words: list[str], extra: str) -> None:
    probe = (
        f"import sys\nsys.modules[{extra!r}] = None\nfrom device.cli import main\nsys.exit(main({words!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "a kiosk install leaves out" in done.stderr and "Traceback" not in done.stderr


def test_a_bad_config_is_file_line_and_key_not_a_traceback(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('[branch]\nid = "0427"\n[camera]\ntype = "opencv"\nsourse = "/dev/video0"\n')
    assert main(["config", "check", str(path)]) == 1
    assert f"{path}:5: camera.sourse: unknown key (did you mean 'source'?)" in capsys.readouterr().err


def test_the_central_service_takes_its_own_options_and_other_commands_refuse_strays(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as shown:
        main(["central-sim", "--help"])
    assert shown.value.code == 0 and "--db" in capsys.readouterr().out
    with pytest.raises(SystemExit) as refused:
        main(["doctor", "--colour"])
    assert refused.value.code == 2 and "unrecognized arguments: --colour" in capsys.readouterr().err
