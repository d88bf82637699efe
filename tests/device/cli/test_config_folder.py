"""`branchdoor config check FOLDER`: a fleet's kiosk configs in one run, as the real command, one line
per kiosk, a summary, and exit 1 when any kiosk fails; plus what only the folder shows (the same kiosk
twice, a branch id left at the placeholder, kiosks of one branch disagreeing on a branch-wide value).
And the single-file check with drop-ins beside the file: merged, each problem in the file that set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.device.cli.test_config_check import branchdoor
from tests.keys import key_file

pytestmark = pytest.mark.subprocess  # every test runs the command

BROKER = '[mqtt]\nhost = "broker.{branch}.lan"\nallow_plaintext = true\n'
DOOR = '[floor]\nwidth_m = 12\ndepth_m = 9\n[[floor.door_lines]]\nname = "main"\na = [5, 0]\nb = [{end}, 0]\n'
DOOR += 'inside = "left"\n'
SKIPPED = (
    "host-local checks (template key, secrets, state folder, video files) not run: each kiosk runs them at "
    "every start (`config check`, the unit's ExecStartPre=); --local runs them here"
)


def fleet(tmp_path: Path, **kiosks: str) -> Path:
    """A folder of per-kiosk values, one file each, named after the keyword."""
    folder = tmp_path / "kiosks"
    folder.mkdir()
    for name, text in kiosks.items():
        (folder / f"{name.replace('_', '-')}.toml").write_text(text)
    return folder


def values(branch: str, device: str, extra: str = "") -> str:
    return f'[branch]\nid = "{branch}"\ndevice_id = "{device}"\n' + BROKER.format(branch=branch) + extra


def test_a_good_and_a_bad_kiosk_over_the_shipped_template(tmp_path: Path) -> None:
    template = REPO / "config" / "branchdoor.toml"
    folder = fleet(
        tmp_path,
        b0427_door_1=values("0427", "door-1"),
        b0427_door_2=values("0427", "door-2") + "[camera]\nsourse = 2\n",
    )
    done = branchdoor("config", "check", str(folder), "--template", str(template))
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines() == [
        f"{folder / 'b0427-door-1.toml'}: OK (branch 0427, device door-1)",
        f"{folder / 'b0427-door-2.toml'}: FAILED (1 problem)",
        f"{folder / 'b0427-door-2.toml'}:8: camera.sourse: unknown key (did you mean 'source'?); expected "
        "one of: type, source, width, height, fps, reconnect_min_s, reconnect_max_s, at_end",
        f"2 kiosks of 1 branch in {folder}: 1 OK, 1 FAILED",
        SKIPPED,
    ]


def test_what_only_the_folder_shows(tmp_path: Path) -> None:
    """Whole files this time (no template): the same kiosk twice, the placeholder branch id, and a
    door line one kiosk of branch 0427 draws elsewhere, each at the line that set it."""
    folder = fleet(
        tmp_path,
        a_main=values("0427", "door-1", DOOR.format(end=7)),
        b_side=values("0427", "door-2", DOOR.format(end=7)),
        c_lounge=values("0427", "door-3", DOOR.format(end=8)),
        d_copy=values("0427", "door-1", DOOR.format(end=7)),
        e_new=values("CHANGE-ME", "door-1"),
        f_other=values("0500", "door-1"),
    )
    done = branchdoor("config", "check", str(folder))
    assert done.returncode == 1
    out = done.stdout.splitlines()
    a, c, d, e = (folder / f"{name}.toml" for name in ("a-main", "c-lounge", "d-copy", "e-new"))
    assert f"{folder / 'b-side.toml'}: OK (branch 0427, device door-2)" in out
    assert f"{folder / 'f-other.toml'}: OK (branch 0500, device door-1)" in out
    assert f"{a}: FAILED (1 problem)" in out
    assert (
        f"{a}:3: branch.device_id: branch 0427 has another kiosk with device id 'door-1' ({d}): their "
        in ("\n".join(out))
    )
    assert any(line.startswith(f"{d}:3: branch.device_id: branch 0427 has another kiosk") for line in out)
    [lounge] = [line for line in out if line.startswith(f"{c}:") and "floor" in line]
    assert lounge.startswith(
        f"{c}:13: floor.door_lines.0.b: must be the same on every kiosk of branch 0427 (the branch's door "
        "counts): [8.0, 0.0] here, [7.0, 0.0] in "
    )
    assert lounge.endswith(f" in {a}, {folder / 'b-side.toml'}, {d}")
    assert any(line.startswith(f'{e}:2: branch.id: "CHANGE-ME" is the shipped placeholder') for line in out)
    assert out[-2:] == [f"6 kiosks of 3 branches in {folder}: 2 OK, 4 FAILED", SKIPPED]


def test_a_fleet_that_is_all_good_exits_0_and_local_runs_the_host_checks(tmp_path: Path) -> None:
    key = key_file(tmp_path)
    local = f'[privacy]\ntemplate_key_file = "{key}"\n[storage]\nstate_dir = "{tmp_path / "state"}"\n'
    folder = fleet(tmp_path, door_1=values("0427", "door-1", local), door_2=values("0427", "door-2", local))
    done = branchdoor("config", "check", str(folder))
    assert (done.returncode, done.stdout.splitlines()[-2]) == (
        0,
        f"2 kiosks of 1 branch in {folder}: 2 OK, 0 FAILED",
    )
    key.chmod(0o644)
    done = branchdoor("config", "check", str(folder), "--local")
    assert done.returncode == 1 and SKIPPED not in done.stdout
    assert (
        f"{folder / 'door-1.toml'}:8: privacy.template_key_file: {key}: readable by group or others"
        in done.stdout
    )


def test_the_single_file_check_merges_the_drop_ins_and_blames_the_one_that_set_a_value(
    tmp_path: Path,
) -> None:
    main = tmp_path / "branchdoor.toml"
    main.write_text(f'[branch]\nid = "CHANGE-ME"\n[storage]\nstate_dir = "{tmp_path / "state"}"\n')
    dropins = tmp_path / "branchdoor.d"
    dropins.mkdir()
    (dropins / "50-branch.toml").write_text('[branch]\nid = "0427"\n')
    missing = tmp_path / "no-such-key"
    (dropins / "60-kiosk.toml").write_text(
        f'[branch]\ndevice_id = "door-2"\n\n[privacy]\ntemplate_key_file = "{missing}"\n'
    )
    done = branchdoor("config", "check", str(main))
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"{dropins / '60-kiosk.toml'}:5: privacy.template_key_file: {missing}: cannot read"
    )
    (dropins / "60-kiosk.toml").write_text(
        f'[branch]\ndevice_id = "door-2"\n[privacy]\ntemplate_key_file = "{key_file(tmp_path)}"\n'
    )
    done = branchdoor("config", "check", str(main))
    assert (done.returncode, done.stderr) == (0, "")
    merged = "drop-ins: 50-branch.toml, 60-kiosk.toml"
    assert done.stdout == f"{main}: OK (branch 0427, device door-2, camera opencv; {merged})\n"


def test_a_kiosk_keeping_its_floor_apart_from_its_branch_is_told(tmp_path: Path) -> None:
    """With [floor] branch_merge off, a kiosk would publish a floor of its own beside the keeper's."""
    folder = fleet(
        tmp_path,
        a_main=values("0427", "door-1", DOOR.format(end=7)),
        b_side=values("0427", "door-2", DOOR.format(end=7)),
        c_lounge=values(
            "0427", "door-3", DOOR.format(end=7).replace("[floor]\n", "[floor]\nbranch_merge = false\n")
        ),
    )
    done = branchdoor("config", "check", str(folder))
    assert done.returncode == 1
    c = folder / "c-lounge.toml"
    assert any(
        line.startswith(
            f"{c}:8: floor.branch_merge: must be the same on every kiosk of branch 0427 (one floor"
        )
        for line in done.stdout.splitlines()
    ), done.stdout
