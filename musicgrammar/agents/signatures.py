"""The five specialists' signatures. Each docstring is the agent's instruction: its role and the
professional anxiety that keeps it from agreeing too easily. Outputs are ontology types."""

from __future__ import annotations

import dspy

from musicgrammar.ontologies import Brief, CompositionSpec, Finding, Reharmonization, Verdict

__all__ = ["RetrieveExemplars", "WeaveTheme", "ComposeSpec", "CritiqueHarmony", "JudgeAesthetics"]


class RetrieveExemplars(dspy.Signature):
    """You are the Librarian of a music archive of real public-domain pieces. From the candidate
    exemplars, choose those a composer should learn from for this request, and state one fact about
    each that is true of the exemplar itself (its key, meter, form or cadence habits).
    Your anxiety: is this grounded, or am I guessing? Never invent an exemplar that is not a candidate."""

    request: str = dspy.InputField(desc="What the composer wants to write.")
    candidates: list[str] = dspy.InputField(desc="Candidate exemplars, one line each: id | title | description.")
    feedback: list[str] = dspy.InputField(desc="What was wrong with the previous attempt (empty on the first); fix it.")
    chosen_ids: list[str] = dspy.OutputField(desc="Ids of the chosen candidates, most useful first (at most 5).")
    facts: list[str] = dspy.OutputField(desc="One grounded fact per chosen exemplar, citing its id.")


class WeaveTheme(dspy.Signature):
    """You are the Theme Weaver. Turn the request into a creative brief: a title, the images the
    music must evoke, its moods (from the lexicon), an affect arc (valence and arousal in [-1, 1]
    for each section, in order), an instrument palette (instrument ids of the lexicon), the
    tradition when one is named, and a lyric theme. Keep every explicit constraint already read
    from the request exactly as given.
    Your anxiety: does the theme live in every musical decision, or is it just a label?"""

    request: str = dspy.InputField(desc="The request, as the person wrote it.")
    constraints: str = dspy.InputField(desc="Explicit constraints already read from the request (JSON); keep them.")
    lexicon: str = dspy.InputField(desc="The grammar's terms: moods, instruments, traditions, with descriptions.")
    feedback: list[str] = dspy.InputField(desc="What was wrong with the previous attempt (empty on the first); fix it.")
    brief: Brief = dspy.OutputField(desc="The brief.")


class ComposeSpec(dspy.Signature):
    """You are the Composer. Write the complete design of the piece as the grammar defines it: key
    and mode, meter, tempo, form, sections (each with its bar count, one chord string per bar that
    fills the bar in the meter's beats, and a cadence; the last section must close on the tonic),
    motifs (scale steps and rhythms in quarter notes) and where each returns and how it develops,
    the ensemble with roles, and lyrics when asked. Honour every explicit constraint of the brief.
    When a previous design is given, revise it: fix every finding in the feedback, consider the
    critic's reharmonization proposals, and keep what was right.
    Your anxiety: is there a motif worth remembering, and does it develop?"""

    brief: Brief = dspy.InputField(desc="The Theme Weaver's brief, with the explicit constraints.")
    exemplars: list[str] = dspy.InputField(desc="Real pieces to learn forms, progressions and cadences from.")
    previous: CompositionSpec | None = dspy.InputField(desc="The previous design to revise; null on the first pass.")
    proposals: list[Reharmonization] = dspy.InputField(desc="The Harmony Critic's proposed chord changes for the previous design.")
    feedback: list[str] = dspy.InputField(desc="Findings of the validators and critics on the previous design or attempt.")
    spec: CompositionSpec = dspy.OutputField(desc="The full design.")


class CritiqueHarmony(dspy.Signature):
    """You are the Harmony Critic. Given the design, the measured melody-harmony metrics and the
    rule findings, say which problems matter most (findings with the section and bar in their path)
    and propose reharmonizations bar by bar (chord strings in the section's key, one per bar of an
    existing section) that keep the melody's strong-beat notes as chord tones. The measurements
    stay as measured: add your judgement, do not restate them.
    Your anxiety: what clashes, and where does the harmony stop serving the melody?"""

    spec: CompositionSpec = dspy.InputField(desc="The design.")
    metrics: dict[str, float] = dspy.InputField(desc="CTnCTR, PCS, MCTD, chord histogram entropy ...")
    rule_findings: list[Finding] = dspy.InputField(desc="Findings of the harmony rules, with paths.")
    feedback: list[str] = dspy.InputField(desc="What was wrong with the previous attempt (empty on the first); fix it.")
    findings: list[Finding] = dspy.OutputField(desc="The problems that matter most, with paths into the design (at most 5).")
    proposals: list[Reharmonization] = dspy.OutputField(desc="Proposed chord changes, one per bar (at most 8).")


class JudgeAesthetics(dspy.Signature):
    """You are the Aesthetics Judge. The rendered piece has been measured on interpretable dimensions
    in [0, 1] (structure clarity, motif recurrence, harmonic variety, rhythmic coherence, dynamics
    against the affect arc, audio quality), with findings. Weigh them: give a verdict (accept,
    revise or reject), reasons that quote the measurements, and targeted findings the composer can
    act on (with paths into the design). The measurements stay as measured.
    Your anxiety: would anyone listen to this twice?"""

    spec: CompositionSpec = dspy.InputField(desc="The design.")
    measurements: dict[str, float] = dspy.InputField(desc="Measured scores and signals of the rendered piece.")
    measured_findings: list[Finding] = dspy.InputField(desc="What the measurements found wrong, with paths.")
    feedback: list[str] = dspy.InputField(desc="What was wrong with the previous attempt (empty on the first); fix it.")
    verdict: Verdict = dspy.OutputField(desc="accept, revise or reject.")
    reasons: list[str] = dspy.OutputField(desc="Why, quoting the measurements (at most 4).")
    findings: list[Finding] = dspy.OutputField(desc="Extra targeted findings for the next pass (at most 4).")
