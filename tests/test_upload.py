"""The uploader against a contract server on 127.0.0.1: exact requests, resumption after every
failure point, no duplicate submission under any fault, and the key never shown."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from contract_server import API_KEY, SAVE_FIELDS, ContractServer

from conftest import FIXTURES, VARIABLES_MAP
from csvprep import ConfigError, UsageError
from csvprep.cli import cli
from csvprep.errors import InputError, RejectedRowsError, RemoteError, UncertainError
from csvprep.outputs.preparing import prepare
from csvprep.upload import LEDGER, Api, UploadResult, upload
from csvprep.upload.campaign import build_campaign, load_campaign

TOMORROW = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
SETTINGS = {
    "agent_id": "830f767a-397e-4b39-82ff-235cd344e2f9",
    "campaign_name": "Renewal reminders",
    "country_code": "+91",
    "campaign_start_time": f"{TOMORROW}, 09:00",
    "campaign_end_time": f"{TOMORROW}, 18:00",
    "call_config": {
        "call_time": {
            "call_start_time": "09:00",
            "call_end_time": "18:00",
            "timezone": "Asia/Kolkata",
        },
        "call_retry_config": {
            "retry_count": 1,
            "retry_busy": 30,
            "retry_not_picked": 30,
            "retry_failed": 30,
        },
    },
    "from_numbers": ["from-number-id"],
}


@pytest.fixture
def server():
    with ContractServer() as running:
        yield running


@pytest.fixture
def small(tmp_path: Path) -> Path:
    prepare(FIXTURES / "valid_contacts.csv", tmp_path / "small", variables_map=VARIABLES_MAP)
    return tmp_path / "small"


@pytest.fixture
def large(tmp_path: Path) -> Path:
    source = tmp_path / "big.csv"
    pl.DataFrame(
        {"Mobile Number": [f"+9198{i:08d}" for i in range(5200)], "Name": ["Asha"] * 5200}
    ).write_csv(source)
    prepare(source, tmp_path / "large")
    return tmp_path / "large"


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.json"
    path.write_text(json.dumps(SETTINGS), encoding="utf-8")
    return path


def api(server: ContractServer, sleeps: list[float] | None = None, **kw: object) -> Api:
    return Api(
        API_KEY, server.url, sleep=(sleeps.append if sleeps is not None else lambda _: None), **kw
    )  # type: ignore[arg-type]


def campaign(**changes: object):
    return build_campaign({**SETTINGS, **changes})


def posts(server: ContractServer) -> list[str]:
    return [r["endpoint"] for r in server.platform.requests if r["endpoint"].startswith("POST")]


# --- the flows, request by request ---------------------------------------------------------


def test_standard_flow_sends_exactly_the_documented_fields(server, small):
    with api(server) as client:
        result = upload(small, campaign(), api=client, start_calls=True)
    save, start = (
        server.platform.calls("POST /campaign/save"),
        server.platform.calls("POST /campaign/start"),
    )
    assert len(save) == 1 and len(start) == 1
    fields = save[0]["fields"]
    assert set(fields) == SAVE_FIELDS
    assert json.loads(fields["variables_map"]) == json.loads(VARIABLES_MAP.read_text())
    assert json.loads(fields["call_config"]) == SETTINGS["call_config"]
    assert fields["campaign_start_time"] == SETTINGS["campaign_start_time"]
    assert fields["file"]["content"] == (small / "valid_contacts.clean.csv").read_bytes()
    assert fields["file"]["filename"] == "valid_contacts.clean.csv"
    assert save[0]["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    list_id = result.files[0]["list_id"]
    assert start[0]["json"] == {
        "agent_id": SETTINGS["agent_id"],
        "list_id": list_id,
        "from_numbers": ["from-number-id"],
    }


def test_number_pool_starts_with_v2(server, small):
    with api(server) as client:
        upload(
            small,
            campaign(from_numbers=None, number_pool_id="pool-1"),
            api=client,
            start_calls=True,
        )
    (start,) = server.platform.calls("POST /campaign/v2/start")
    assert start["json"]["number_pool_id"] == "pool-1" and "from_numbers" not in start["json"]


def test_large_flow_polls_checks_balance_and_schedules(server, large):
    sleeps: list[float] = []
    with api(server, sleeps) as client:
        result = upload(large, campaign(), api=client, start_calls=True)
    endpoints = [r["endpoint"] for r in server.platform.requests]
    assert endpoints == [
        "POST /campaign/upload-csv",
        "GET /campaign/upload-status/{bulk_list_id}",
        "GET /campaign/upload-status/{bulk_list_id}",
        "GET /campaign/upload-status/{bulk_list_id}",
        "POST /campaign/check-balance/{bulk_list_id}",
        "POST /campaign/make-call-async",
    ]
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # backoff between polls
    (call,) = server.platform.calls("POST /campaign/make-call-async")
    assert call["json"]["bulk_list_id"] == result.files[0]["bulk_list_id"]
    assert call["json"]["from_numbers"] == ["from-number-id"]
    assert result.files[0]["upload_status"]["status"] == "completed"


def test_both_documented_balance_answers_are_accepted(server, large):
    server.platform.balance_shape = "status"
    with api(server) as client:
        upload(large, campaign(), api=client)
    assert server.platform.calls("POST /campaign/check-balance/{bulk_list_id}")


def test_insufficient_balance_stops_before_calls(server, large):
    server.platform.balance_shape = "insufficient"
    with api(server) as client, pytest.raises(RemoteError, match="insufficient balance"):
        upload(large, campaign(), api=client, start_calls=True)
    assert not server.platform.calls("POST /campaign/make-call-async")


# --- safe to re-run -------------------------------------------------------------------------


def test_a_second_run_resumes_and_submits_nothing_twice(server, small, large):
    for folder in (small, large):
        with api(server) as client:
            upload(folder, campaign(), api=client, start_calls=True)
            before = posts(server)
            again = upload(folder, campaign(), api=client, start_calls=True)
        assert posts(server) == before
        assert again.files[0].get("started")
        ledger = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
        (entry,) = ledger["files"].values()
        assert all(step["state"] == "done" for step in entry["steps"].values())


def test_upload_then_start_later_resumes_after_the_save(server, small):
    with api(server) as client:
        upload(small, campaign(), api=client)
        upload(small, campaign(), api=client, start_calls=True)
    assert posts(server) == ["POST /campaign/save", "POST /campaign/start"]


def test_a_dropped_save_is_checked_on_the_platform_before_any_retry(server, small):
    server.platform.fault("POST /campaign/save", "drop")
    with api(server) as client:
        with pytest.raises(UncertainError) as info:
            upload(small, campaign(), api=client, start_calls=True)
        assert info.value.exit_code == 6
        ledger = json.loads((small / LEDGER).read_text(encoding="utf-8"))
        assert next(iter(ledger["files"].values()))["steps"]["save"]["state"] == "uncertain"
        # the platform did act on it: the next run finds the list instead of saving again
        result = upload(small, campaign(), api=client, start_calls=True)
    assert len(server.platform.calls("POST /campaign/save")) == 1
    assert result.files[0]["list_id"] in server.platform.lists
    assert len(server.platform.calls("POST /campaign/start")) == 1


def lose_a_save_then_resume(server: ContractServer, folder: Path, *faults: str) -> UploadResult:
    """Upload ``folder`` (starting calls) with ``faults`` on its saves, the last losing a
    save's answer; then again: what the second run did."""
    server.platform.fault("POST /campaign/save", *faults)
    with api(server) as client:
        with pytest.raises(UncertainError):
            upload(folder, campaign(), api=client, start_calls=True)
        return upload(folder, campaign(), api=client, start_calls=True)


def test_a_dropped_save_is_found_past_the_first_page_of_campaigns(server, small):
    # GET /campaign/all gives 10 campaigns unless asked for more: the one the lost save made
    # was on the second page, taken for absent, and the list saved (and called) twice
    server.platform.made_before("Another campaign", minutes_ago=60 * 24, count=15)
    result = lose_a_save_then_resume(server, small, "drop")
    assert len(server.platform.calls("POST /campaign/save")) == 1
    (start,) = server.platform.calls("POST /campaign/start")
    assert start["json"]["list_id"] == result.files[0]["list_id"]


def test_a_lost_save_is_never_taken_for_an_older_campaign_of_the_same_name(server, small):
    # campaign names are reused ("Renewal reminders" every month): last month's list is not
    # what a save lost today made, and starting it would call last month's people again
    server.platform.made_before(SETTINGS["campaign_name"], minutes_ago=60 * 24 * 30)
    (old,) = server.platform.lists
    result = lose_a_save_then_resume(server, small, "504")  # not acted on
    assert len(server.platform.calls("POST /campaign/save")) == 2
    (start,) = server.platform.calls("POST /campaign/start")
    assert start["json"]["list_id"] == result.files[0]["list_id"] != old


def test_a_lost_save_is_never_taken_for_another_part_of_the_same_folder(server, tmp_path):
    # every part of a folder is saved under the campaign's name: the part saved a moment
    # before is not what the next part's lost save made
    folder = tmp_path / "parts"
    prepare(FIXTURES / "valid_contacts.csv", folder, max_rows=5, variables_map=VARIABLES_MAP)
    result = lose_a_save_then_resume(server, folder, "ok", "504")  # the second part's
    ids = [f["list_id"] for f in result.files]
    assert len(set(ids)) == 2 and set(ids) == set(server.platform.lists)


def _another_made_a_minute_ago(server: ContractServer, folder: Path) -> None:
    server.platform.made_before(SETTINGS["campaign_name"], minutes_ago=1)


def _ledger_of_an_older_csvprep(server: ContractServer, folder: Path) -> None:
    # recorded without the time the save was sent: nothing to compare a campaign's making with
    ledger = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    next(iter(ledger["files"].values()))["steps"]["save"].pop("sent")
    (folder / LEDGER).write_text(json.dumps(ledger), encoding="utf-8")


@pytest.mark.parametrize(
    ("spoil", "says"),
    [(_another_made_a_minute_ago, "2 campaigns named"), (_ledger_of_an_older_csvprep, "cannot")],
    ids=["two-made-since", "no-send-time"],
)
def test_a_lost_save_that_cannot_be_matched_for_sure_stops(server, small, spoil, says):
    server.platform.fault("POST /campaign/save", "drop")
    with api(server) as client:
        with pytest.raises(UncertainError):
            upload(small, campaign(), api=client, start_calls=True)
        spoil(server, small)
        with pytest.raises(UncertainError, match=says):
            upload(small, campaign(), api=client, start_calls=True)
    assert len(server.platform.calls("POST /campaign/save")) == 1
    assert server.platform.calls("POST /campaign/start") == []


def test_a_dropped_start_is_never_repeated_blindly(server, small):
    server.platform.fault("POST /campaign/start", "drop")
    with api(server) as client:
        with pytest.raises(UncertainError):
            upload(small, campaign(), api=client, start_calls=True)
        with pytest.raises(UncertainError, match="may already be calling"):
            upload(small, campaign(), api=client, start_calls=True)
    assert len(server.platform.calls("POST /campaign/start")) == 1


@pytest.mark.parametrize("fault", ["504", "drop"])
def test_lost_answers_on_the_large_flow_stop_with_what_to_check(server, large, fault):
    server.platform.fault("POST /campaign/upload-csv", fault)
    with api(server) as client:
        with pytest.raises(UncertainError):
            upload(large, campaign(), api=client)
        with pytest.raises(UncertainError, match="dashboard"):
            upload(large, campaign(), api=client)
    assert len(server.platform.calls("POST /campaign/upload-csv")) == 1


def test_a_slow_answer_to_a_post_is_uncertain_not_repeated(server, small):
    server.platform.fault("POST /campaign/save", "slow")
    with api(server, timeout=0.5) as client, pytest.raises(UncertainError):
        upload(small, campaign(), api=client)
    assert len(server.platform.calls("POST /campaign/save")) == 1


# --- retries --------------------------------------------------------------------------------


def test_429_and_503_are_retried_honouring_retry_after(server, small):
    server.platform.fault("POST /campaign/save", "429", "503")
    sleeps: list[float] = []
    with api(server, sleeps) as client:
        upload(small, campaign(), api=client)
    assert sleeps == [1.0, 1.0]
    assert len(server.platform.calls("POST /campaign/save")) == 3
    assert len(server.platform.lists) == 1


def test_a_500_is_reported_with_its_detail_not_retried(server, small):
    server.platform.fault("POST /campaign/save", "500")
    with api(server) as client, pytest.raises(RemoteError, match="Internal Server Error") as e:
        upload(small, campaign(), api=client)
    assert e.value.exit_code == 5
    assert len(server.platform.calls("POST /campaign/save")) == 1


def test_reads_are_retried_on_gateway_errors(server, large):
    with api(server) as client:
        upload(large, campaign(), api=client)
    server.platform.fault("GET /campaign/upload-status/{bulk_list_id}", "504", "502")
    (large / LEDGER).unlink()
    with api(server) as client:
        upload(large, campaign(), api=client, force=True)


def test_retries_are_bounded(server, small):
    server.platform.fault("POST /campaign/save", *["503"] * 10)
    with api(server, attempts=3) as client, pytest.raises(RemoteError, match="gave up"):
        upload(small, campaign(), api=client)
    assert len(server.platform.calls("POST /campaign/save")) == 3


def test_a_wrong_key_is_reported_without_showing_it(server, small):
    with Api("wrong-key", server.url) as client, pytest.raises(RemoteError) as info:
        upload(small, campaign(), api=client)
    assert "401" in str(info.value) and "wrong-key" not in str(info.value)


# --- settings, refusals, the command line ---------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"number_pool_id": "p"}, "exactly one of from_numbers and number_pool_id (both"),
        ({"from_numbers": []}, "(neither given)"),
        ({"campaign_start_time": "2026-10-18 09:00"}, "is not 'DD/MM/YYYY, HH:MM'"),
        ({"campaign_start_time": "1/1/2031, 9:5"}, "is not 'DD/MM/YYYY, HH:MM'"),  # strptime's
        ({"country_code": "XX"}, "neither a calling code (+91) nor a region (IN)"),
        ({"country_code": "+999"}, "neither a calling code (+91) nor a region (IN)"),
        ({"country_code": "+800"}, "neither a calling code (+91) nor a region (IN)"),
        ({"campaign_start_time": "01/01/2020, 09:00"}, "is not in the future"),
        ({"campaign_end_time": f"{TOMORROW}, 08:00"}, "must be after campaign_start_time"),
        ({"call_config": {"call_time": {"timezone": "Mars/Base"}}}, "not an IANA time zone"),
        ({"call_config": {"call_time": {"call_start_time": "9am"}}}, "is not HH:MM"),
        ({"concurrency_percentage": 150}, "not between 0 and 100"),
        ({"agent_id": ""}, "agent_id is required"),
        ({"colour": "red"}, "unknown setting 'colour'"),
    ],
)
def test_every_documented_rule_is_checked_before_sending(changes, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_campaign({**SETTINGS, **changes})


def test_settings_file_and_flag_overrides(settings_file, tmp_path):
    c = load_campaign(settings_file, {"campaign_name": "From a flag"})
    assert c.campaign_name == "From a flag" and c.agent_id == SETTINGS["agent_id"]
    toml = tmp_path / "campaign.toml"
    toml.write_text('agent_id = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="campaign_name is required"):
        load_campaign(toml)


def test_plain_http_is_refused_except_on_loopback():
    with pytest.raises(UsageError, match="https"):
        Api(API_KEY, "http://api.example.com/ca/api/v0")
    Api(API_KEY, "http://localhost:1/x").close()


def test_a_folder_with_rejected_rows_is_refused_unless_asked(server, tmp_path):
    prepare(FIXTURES / "invalid_numbers.csv", tmp_path / "bad")
    with api(server) as client:
        # exit 1 for a folder as for a CSV: rows were rejected, as validate and prepare say
        with pytest.raises(RejectedRowsError, match="--remove-invalid-rows") as refused:
            upload(tmp_path / "bad", campaign(), api=client)
        assert refused.value.exit_code == 1
        assert server.platform.requests == []
        upload(tmp_path / "bad", campaign(remove_invalid_rows=True), api=client)
    (save,) = server.platform.calls("POST /campaign/save")
    assert save["fields"]["remove_invalid_rows"] == "true"


def run(args: list[str], env: dict[str, str]):
    result = CliRunner().invoke(cli, [str(a) for a in args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_cli_upload_never_shows_the_key(server, small, settings_file, tmp_path):
    env = {"RINGG_API_KEY": API_KEY, "RINGG_BASE_URL": server.url}
    outputs = []
    for args in (["--dry-run"], ["--start-calls"], ["--start-calls", "--format", "json"]):
        result = run(["upload", small, "--campaign", settings_file, *args], env)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout + result.stderr)
    server.platform.fault("POST /campaign/save", "500")
    failing = run(["upload", small, "--campaign", settings_file, "--force"], env)
    assert failing.exit_code == 5
    outputs.append(failing.stdout + failing.stderr)
    files = [p.read_text(encoding="utf-8", errors="replace") for p in small.iterdir()]
    for text in [*outputs, *files]:
        assert API_KEY not in text
    assert "POST" in outputs[0] and "valid_contacts.clean.csv (10 rows)" in outputs[0]


def test_cli_dry_run_sends_nothing_and_needs_no_key(server, small, settings_file):
    result = run(
        ["upload", small, "--campaign", settings_file, "--dry-run", "--start-calls"],
        {"RINGG_BASE_URL": server.url},
    )
    assert result.exit_code == 0
    assert server.platform.requests == []
    assert "/campaign/save" in result.stdout and "/campaign/start" in result.stdout


def test_cli_upload_prepares_a_csv_first(server, settings_file, tmp_path):
    source = tmp_path / "list.csv"
    source.write_bytes((FIXTURES / "valid_contacts.csv").read_bytes())
    env = {"RINGG_API_KEY": API_KEY, "RINGG_BASE_URL": server.url}
    result = run(["upload", source, "--campaign", settings_file], env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "list.prepared" / "manifest.json").exists()
    assert len(server.platform.calls("POST /campaign/save")) == 1


def test_cli_without_a_key_is_a_usage_error(small, settings_file):
    result = run(["upload", small, "--campaign", settings_file], {"RINGG_API_KEY": ""})
    assert result.exit_code == 2 and "RINGG_API_KEY" in result.stderr


def test_validate_against_the_assistant_fetched_by_id(server):
    env = {"RINGG_API_KEY": API_KEY, "RINGG_BASE_URL": server.url}
    result = run(
        [
            "validate",
            FIXTURES / "valid_contacts.csv",
            "-m",
            VARIABLES_MAP,
            "--agent-id",
            "830f767a",
            "--format",
            "json",
        ],
        env,
    )
    report = json.loads(result.stdout)
    missing = [p for p in report["problems"] if p["code"] == "prompt_variable_missing"]
    assert [p["value"] for p in missing] == ["premium_amount"] and result.exit_code == 1
    # named by where it came from: the assistant's declared variables, not its prompt text
    assert missing[0]["message"].startswith(
        "the assistant's custom_variables include 'premium_amount'"
    )
    assert API_KEY not in result.stdout + result.stderr
    unknown = run(["validate", FIXTURES / "valid_contacts.csv", "--agent-id", "nope"], env)
    assert unknown.exit_code == 5 and "Assistant not found" in unknown.stderr


def test_campaign_schema_and_example_agree_with_the_checks():
    import tomllib

    import jsonschema

    from conftest import SCHEMAS

    schema = json.loads((SCHEMAS / "campaign.schema.json").read_text(encoding="utf-8"))
    example = SCHEMAS / "examples" / "renewal_campaign.toml"
    data = tomllib.loads(example.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    jsonschema.validate(SETTINGS, schema)
    load_campaign(example)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**SETTINGS, "number_pool_id": "p"}, schema)


def test_resume_after_insufficient_balance_skips_the_finished_steps(server, large):
    server.platform.balance_shape = "insufficient"
    with api(server) as client:
        with pytest.raises(RemoteError, match="insufficient balance"):
            upload(large, campaign(), api=client, start_calls=True)
        server.platform.balance_shape = "sufficient"  # the user added balance
        upload(large, campaign(), api=client, start_calls=True)
    assert len(server.platform.calls("POST /campaign/upload-csv")) == 1
    assert len(server.platform.calls("GET /campaign/upload-status/{bulk_list_id}")) == 3
    assert len(server.platform.calls("POST /campaign/check-balance/{bulk_list_id}")) == 2
    assert len(server.platform.calls("POST /campaign/make-call-async")) == 1


def test_resume_after_a_refused_start_sends_it_once_more(server, small):
    server.platform.fault("POST /campaign/start", "500")
    with api(server) as client:
        with pytest.raises(RemoteError, match="HTTP 500"):
            upload(small, campaign(), api=client, start_calls=True)
        upload(small, campaign(), api=client, start_calls=True)
    assert posts(server) == ["POST /campaign/save", "POST /campaign/start", "POST /campaign/start"]
    assert len(server.platform.started) == 1


# --- uploads that tell the truth ------------------------------------------------------------


def test_rows_the_platform_rejected_on_save_start_nothing_without_consent(server, small):
    server.platform.save_counts = {"total_rows": 10, "successful_rows": 8, "failed_rows": 2}
    with api(server) as client:
        with pytest.raises(RejectedRowsError, match="the platform rejected 2 rows") as stopped:
            upload(small, campaign(), api=client, start_calls=True)
        assert stopped.value.exit_code == 1
        assert not server.platform.calls("POST /campaign/start")
        ledger = json.loads((small / LEDGER).read_text(encoding="utf-8"))
        (steps,) = [f["steps"] for f in ledger["files"].values()]
        assert steps["save"]["failed_rows"] == 2
        said: list[str] = []
        upload(small, campaign(remove_invalid_rows=True), api=client, start_calls=True,
               on_event=said.append)  # fmt: skip
    assert len(server.platform.calls("POST /campaign/save")) == 1  # resumed, not saved again
    assert len(server.platform.calls("POST /campaign/start")) == 1
    assert any("2 rows; they will not be called" in line for line in said)


def test_rows_the_platform_invalidated_in_the_large_flow_start_nothing_without_consent(
    server, large
):
    server.platform.invalidated = 7
    with api(server) as client:
        with pytest.raises(RejectedRowsError, match=r"rejected 7 rows \(the rows: https://"):
            upload(large, campaign(), api=client, start_calls=True)
        assert not server.platform.calls("POST /campaign/check-balance/{bulk_list_id}")
        assert not server.platform.calls("POST /campaign/make-call-async")
        upload(large, campaign(remove_invalid_rows=True), api=client, start_calls=True)
    assert len(server.platform.calls("POST /campaign/upload-csv")) == 1
    assert len(server.platform.calls("POST /campaign/make-call-async")) == 1


@pytest.mark.parametrize(
    "counts",
    [
        {"failed_rows": -1},
        {"failed_rows": 11},
        {"failed_rows": "2"},
        {"total_rows": 10, "successful_rows": 10, "failed_rows": 2},
        {"total_rows": 99, "successful_rows": 97, "failed_rows": 2},
    ],
)
def test_save_counts_that_cannot_be_true_stop_the_upload(server, small, counts):
    server.platform.save_counts = counts
    with api(server) as client, pytest.raises(RemoteError, match="do not add up"):
        upload(small, campaign(remove_invalid_rows=True), api=client, start_calls=True)
    assert not server.platform.calls("POST /campaign/start")


def test_the_cli_exits_1_when_the_platform_rejected_rows(server, small, settings_file):
    server.platform.save_counts = {"total_rows": 10, "successful_rows": 9, "failed_rows": 1}
    env = {"RINGG_API_KEY": API_KEY, "RINGG_BASE_URL": server.url}
    result = run(["upload", small, "--campaign", settings_file, "--start-calls"], env)
    assert result.exit_code == 1
    assert "the platform rejected 1 rows" in result.stderr
    assert not server.platform.calls("POST /campaign/start")


def test_max_wait_stops_polling_and_a_later_run_resumes(server, large, settings_file):
    server.platform.stuck = True
    clock = {"now": 0.0}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    said: list[str] = []
    with api(server, clock=lambda: clock["now"]) as client:
        client.sleep = sleep
        with pytest.raises(RemoteError, match=r"after \d+ s, the limit \(--max-wait 60\)"):
            upload(large, campaign(max_wait=60), api=client, on_event=said.append)
        polls = len(server.platform.calls("GET /campaign/upload-status/{bulk_list_id}"))
        assert 3 <= polls <= 8
        # a status said once, with the time waited and the limit, not once a poll
        assert sum("upload verifying" in line for line in said) == 1
        assert any("(waiting at most 60 s)" in line for line in said)
        server.platform.stuck = False
        upload(large, campaign(), api=client, start_calls=True)
    assert len(server.platform.calls("POST /campaign/upload-csv")) == 1
    assert len(server.platform.calls("POST /campaign/make-call-async")) == 1


def test_max_wait_is_a_flag_and_a_setting(settings_file):
    assert load_campaign(settings_file).max_wait == 1800
    assert load_campaign(settings_file, {"max_wait": 30}).max_wait == 30
    with pytest.raises(ConfigError, match="max_wait 0 must be at least 1"):
        load_campaign(settings_file, {"max_wait": 0})


@pytest.mark.parametrize(
    ("shape", "message"),
    [("unknown", "neither sufficient balance nor a ready list"), ("other_id", "someone-else")],
)
def test_balance_answers_are_read_honestly(server, large, shape, message):
    server.platform.balance_shape = shape
    with api(server) as client, pytest.raises(RemoteError, match=message):
        upload(large, campaign(), api=client, start_calls=True)
    assert not server.platform.calls("POST /campaign/make-call-async")


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ({"sufficient_balance": True, "required_credits": 10, "available_credits": 20}, True),
        ({"sufficient_balance": True, "required_credits": 30, "available_credits": 20}, False),
        ({"status": "draft"}, True),
        ({"status": "completed"}, False),
        ({"status": "draft", "sufficient_balance": False}, False),
        ({}, False),
    ],
)
def test_balance_rules(answer, ok):
    from csvprep.upload._flows import _check_balance

    if ok:
        _check_balance(answer, "f.csv", "b1")
    else:
        with pytest.raises(RemoteError):
            _check_balance(answer, "f.csv", "b1")


@pytest.mark.parametrize(
    ("call_config", "message"),
    [
        ({"call_time": {"call_strat_time": "09:00"}}, "did you mean 'call_start_time'"),
        ({"call_retry_config": {"retry_cuont": 1}}, "did you mean 'retry_count'"),
        ({"call_tme": {}}, "did you mean 'call_time'"),
        ({"call_retry_config": {"retry_count": -1}}, "must not be negative"),
        ({"call_retry_config": {"retry_count": "3"}}, "must be int"),
        ({"max_call_length": True}, "must be int"),
    ],
)
def test_nested_typos_are_refused_before_any_request(server, small, call_config, message):
    import jsonschema

    from conftest import SCHEMAS

    with pytest.raises(ConfigError, match=message):
        campaign(call_config=call_config)
    schema = json.loads((SCHEMAS / "campaign.schema.json").read_text(encoding="utf-8"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**SETTINGS, "call_config": call_config}, schema)
    assert server.platform.requests == []


def test_top_level_typos_get_a_suggestion_too():
    with pytest.raises(ConfigError, match="'campaign_nmae' \\(did you mean 'campaign_name'"):
        campaign(campaign_nmae="x")


# --- answers that are not the documented success --------------------------------------------


@pytest.mark.parametrize("fault", ["redirect", "html"])
def test_a_start_answered_by_a_redirect_or_a_page_is_uncertain_not_started(server, small, fault):
    server.platform.fault("POST /campaign/start", fault)
    with api(server) as client:
        with pytest.raises(UncertainError, match="not the JSON answer the API documents"):
            upload(small, campaign(), api=client, start_calls=True)
        # never taken as done: the next run refuses to start blindly
        with pytest.raises(UncertainError, match="may already be calling"):
            upload(small, campaign(), api=client, start_calls=True)
    ledger = json.loads((small / LEDGER).read_text(encoding="utf-8"))
    assert next(iter(ledger["files"].values()))["steps"]["start"]["state"] == "uncertain"
    assert len(server.platform.calls("POST /campaign/start")) == 1


def test_a_redirected_read_is_an_error(server, large):
    server.platform.fault("GET /campaign/upload-status/{bulk_list_id}", "redirect")
    with api(server) as client, pytest.raises(RemoteError, match="a redirect, not followed"):
        upload(large, campaign(), api=client, start_calls=True)
    assert "POST /campaign/make-call-async" not in posts(server)


@pytest.mark.parametrize(
    ("flow", "endpoint"), [("small", "POST /campaign/save"), ("large", "POST /campaign/upload-csv")]
)
def test_an_answer_without_the_list_id_is_uncertain_and_never_started(
    server, request, flow, endpoint
):
    folder = request.getfixturevalue(flow)
    server.platform.fault(endpoint, "null_id")
    with api(server) as client, pytest.raises(UncertainError, match="holds no"):
        upload(folder, campaign(), api=client, start_calls=True)
    assert posts(server) == [endpoint]
    ledger = json.loads((folder / LEDGER).read_text(encoding="utf-8"))
    assert "uncertain" in json.dumps(ledger)


def test_a_key_echoed_percent_encoded_is_never_shown(server, small):
    key = "rk_live+AbC/dEf9xYz="
    server.platform.fault("POST /campaign/save", "echo_quoted")
    with Api(key, server.url, sleep=lambda _: None) as client, pytest.raises(RemoteError) as info:
        upload(small, campaign(), api=client)
    assert "[redacted]" in str(info.value)
    assert "AbC" not in str(info.value) and "dEf9" not in str(info.value)


# --- what a prepared folder must say before anything is sent ---------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        lambda rows: rows.pop("rejected"),
        lambda rows: rows.update(input=rows["input"] + 1),
        lambda rows: rows.update(clean=rows["clean"] + 1, input=rows["input"] + 1),
    ],
    ids=["rejected-count-removed", "input-not-the-sum", "clean-not-the-files"],
)
def test_a_manifest_whose_counts_do_not_add_up_is_refused_before_any_request(server, small, tamper):
    path = small / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    tamper(manifest["rows"])
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with api(server) as client, pytest.raises(InputError, match="malformed manifest"):
        upload(small, campaign(), api=client, start_calls=True)
    assert server.platform.requests == []


def test_a_folder_with_no_row_to_call_is_refused_before_any_request(server, tmp_path):
    source = tmp_path / "all_excluded.csv"
    source.write_text("Mobile Number,Name\n+919876543210,A\n+919812345678,B\n", encoding="utf-8")
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("+919876543210\n+919812345678\n", encoding="utf-8")
    prepare(source, tmp_path / "out", exclude=dnc)
    with api(server) as client, pytest.raises(InputError, match="no row to upload"):
        upload(tmp_path / "out", campaign(), api=client, start_calls=True)
    assert server.platform.requests == []


@pytest.mark.parametrize("code", ["+91", "91", "IN", "in", "+1"])
def test_every_country_code_a_csv_is_prepared_with_is_a_campaign_country_code(code):
    assert build_campaign({**SETTINGS, "country_code": code}).country_code == code
