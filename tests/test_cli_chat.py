"""`musicgrammar chat` as a person uses it: a REPL on a pseudo-terminal, threads that outlive their
process, and a custodians' approval that waits across a restart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pexpect

from musicgrammar.graphs.chat import ChatSession

ROOT = Path(__file__).resolve().parents[1]
CHAT = [sys.executable, "-m", "musicgrammar", "chat", "--no-audio", "--melody", "rules"]


def _seed_thread(folder: Path, thread: str, prompt: str, **options: object) -> dict:
    """The thread's first piece, made in this process (the design graph is warm here)."""
    chat = ChatSession(folder, thread, audio=False, melody="rules", **options)  # type: ignore[arg-type]
    try:
        return chat.turn(prompt)
    finally:
        chat.close()


def _run(folder: Path, thread: str, lines: list[str]) -> list[dict]:
    """One process, stdin not a terminal: one turn per line, one JSON object per turn."""
    done = subprocess.run(CHAT + ["--dir", str(folder), "--thread", thread, "--json"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, cwd=ROOT, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_repl_on_a_terminal_with_history_and_multiline_input(tmp_path: Path) -> None:
    first = _seed_thread(tmp_path, "polka", "a polka in A major for violin and piano")
    assert first["summary"]["key"] == "A major" and first["summary"]["meter"] == "2/4"
    bpm = first["summary"]["tempo_bpm"]
    repl = pexpect.spawn(CHAT[0], CHAT[1:] + ["--dir", str(tmp_path), "--thread", "polka"], cwd=str(ROOT),
                         encoding="utf-8", timeout=120, dimensions=(40, 200))  # fmt: skip
    try:
        repl.expect("resumed at r1")
        repl.expect("♪ ")
        repl.sendline("faster")
        repl.expect(r"\[polka r2\] A major, 2/4, ([\d.]+) BPM")
        assert float(repl.match.group(1)) == round(bpm * 1.15, 1)
        repl.expect("♪ ")
        repl.sendline("at \\")  # a trailing backslash continues the turn on the next line
        repl.expect("… ")
        repl.sendline("100")
        repl.expect(r"\[polka r3\] A major, 2/4, 100 BPM")
        repl.expect("♪ ")
        repl.sendline("undo")
        repl.expect(r"undone: now at r2.*\[polka r2\]")
        repl.expect("♪ ")
        repl.send("\x1b[A\r")  # arrow up: the last line ('undo') again
        repl.expect(r"undone: now at r1.*\[polka r1\] A major, 2/4, ([\d.]+) BPM")
        assert float(repl.match.group(1)) == bpm
        repl.expect("♪ ")
        repl.sendline("make the tuba louder")
        repl.expect("no Tuba in the ensemble")
        repl.expect("♪ ")
        repl.sendline("quit")
        repl.expect(pexpect.EOF)
    finally:
        repl.close()
    assert repl.exitstatus == 0
    assert "undo" in (tmp_path / ".history").read_text()


def test_a_thread_resumes_in_later_processes_and_waits_for_approval_across_a_restart(tmp_path: Path) -> None:
    first = _seed_thread(tmp_path, "kora", "a mande song for kora and balafon", tradition="mande", custodians=["Toumani", "Sidiki"])
    assert first["summary"]["instruments"] == ["Kora", "Balafon"] and first["summary"]["valid"]

    slower, asked = _run(tmp_path, "kora", ["slower", "give the melody to the balafon"])
    assert slower["revision"] == 2 and slower["summary"]["tempo_bpm"] < first["summary"]["tempo_bpm"]  # no approval needed
    assert asked["revision"] == 2 and asked["changed"] == [] and "approval of Toumani, Sidiki" in asked["reply"]

    # a new process: the question is still open; the answer applies the waiting edit
    waiting, stranger, approved, exported, asked_mode, refused = _run(tmp_path, "kora", [
        "add bars", "approve by Mr Nobody", "approve by Toumani", "export json", "transpose it to C mande silaba", "refuse by Sidiki"])  # fmt: skip
    assert "waiting for approval by Toumani, Sidiki" in waiting["reply"] and waiting["revision"] == 2
    assert "Mr Nobody is not a custodian" in stranger["reply"] and stranger["revision"] == 2
    assert approved["revision"] == 3 and approved["changed"] == ["ensemble[0].role", "ensemble[1].role"]
    assert "approval" in asked_mode["reply"] and asked_mode["revision"] == 3
    assert refused["revision"] == 3 and "Sidiki did not approve" in refused["reply"]
    assert refused["summary"]["key"] == approved["summary"]["key"] != "C mande silaba"
    comp = json.loads(Path(exported["files"]["json"]).read_text())
    roles = {m["instrument"]: m["role"] for m in comp["spec"]["ensemble"]}
    assert roles == {"kora": "counter_melody", "balafon": "lead"}
    consents = comp["provenance"]["consents"]
    assert [(c["person"], c["granted"]) for c in consents] == [("Toumani", True)]

    chat = ChatSession(tmp_path, "kora", audio=False)
    try:
        state = chat.state()
        assert [(c.person, c.granted) for c in state.consents] == [("Toumani", True), ("Sidiki", False)]
        assert re.search(r"mande", state.consents[1].scope)
    finally:
        chat.close()
