"""How `python -m qa mcp` is served: the address it binds (127.0.0.1 unless told), a stdout kept for
the protocol while the engine is built, and the Host/Origin settings."""
import subprocess
import sys

import pytest
from conftest import ROOT

from qa.mcp.serving import LOOPBACK_HOSTS, LOOPBACK_ORIGINS, address, transport_security
from qa.settings import names


@pytest.mark.parametrize("given, bound", [("8765", ("127.0.0.1", 8765)), (":8765", ("127.0.0.1", 8765)),
                                          ("0.0.0.0:8765", ("0.0.0.0", 8765)), ("[::1]:8765", ("::1", 8765)),
                                          ("mcp.internal:443", ("mcp.internal", 443))])
def test_the_server_binds_to_127_0_0_1_unless_a_host_is_given(given, bound):
    assert address(given) == bound


@pytest.mark.parametrize("given", ["", "http", "127.0.0.1:", "127.0.0.1:http", "0", "65536", "-1"])
def test_an_address_that_is_not_host_and_port_is_refused(given):
    with pytest.raises(ValueError, match="is not \\[HOST:\\]PORT"):
        address(given)


def test_the_command_line_refuses_a_bad_address_before_building_anything():
    done = subprocess.run([sys.executable, "-m", "qa", "mcp", "--http", "localhost:http"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "is not [HOST:]PORT" in done.stderr


def test_what_is_printed_while_the_engine_is_built_goes_to_stderr():
    # (in a process of its own: pytest's capture replaces sys.stdout by a writer that skips fd 1)
    script = ("import os\nfrom qa.mcp.serving import stdout_to_stderr\n"
              "with stdout_to_stderr():\n"
              "    print(\"a library's chatter\")\n"
              "    os.write(1, b\"and a C extension's\\n\")\n"
              "print('the protocol')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout) == (0, "the protocol\n")
    assert done.stderr == "a library's chatter\nand a C extension's\n"


def test_this_machine_s_names_and_the_configured_ones_are_allowed():
    security = transport_security(names(" qa.example.org:443, ,myhost:*"), names("https://app.example.org"))
    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == [*LOOPBACK_HOSTS, "qa.example.org:443", "myhost:*"]
    assert security.allowed_origins == [*LOOPBACK_ORIGINS, "https://app.example.org"]


def test_the_command_answers_with_the_encoders_as_qa_semantic_says(monkeypatch):
    import qa.__main__ as command

    class Built(Exception):
        pass

    chosen = []

    def engine(args):
        chosen.append(args.no_semantic)
        raise Built

    monkeypatch.setattr(command, "_engine", engine)
    for semantic, flags in [("1", []), ("0", []), ("1", ["--no-semantic"])]:
        monkeypatch.setenv("QA_SEMANTIC", semantic)
        with pytest.raises(Built):
            command.main(["mcp", *flags])
    assert chosen == [False, True, True]


def test_a_url_that_is_not_http_is_refused(capsys):
    from qa.__main__ import main

    assert main(["mcp", "--url", "file:///etc/passwd"]) == 2
    assert "must be http:// or https://" in capsys.readouterr().err
