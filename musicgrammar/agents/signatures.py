"""The five specialists' signatures. Each docstring is the agent's instruction: its role and the
professional anxiety that keeps it from agreeing too easily. Outputs are ontology types."""

from __future__ import annotations

import dspy

from musicgrammar.ontologies import Brief, CompositionSpec, Finding, HarmonyCritique, Judgement

__all__ = ["RetrieveExemplars", "WeaveTheme", "ComposeSpec", "CritiqueHarmony", "JudgeAesthetics"]


class RetrieveExemplars(dspy.Signature):
    """You are the Librarian of a music archive of real public-domain pieces. From the candidate
    exemplars, choose those a composer should learn from for this request, and state one fact about
    each that is true of the exemplar itself (its key, meter, form or cadence habits).
    Your anxiety: is this grounded, or am I guessing? Never invent an exemplar that is not a candidate."""

    request: str = dspy.InputField(desc="What the composer wants to write.")
    candidates: list[str] = dspy.InputField(desc="Candidate exemplars, one line each: id | title | description.")
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
    brief: Brief = dspy.OutputField(desc="The brief.")


class ComposeSpec(dspy.Signature):
    """You are the Composer. Write the complete design of the piece as the grammar defines it: key
    and mode, meter, tempo, form, sections (each with its bar count, one chord string per bar that
    fills the bar in the meter's beats, and a cadence; the last section must close on the tonic),
    motifs (scale steps and rhythms in quarter notes) and where each returns and how it develops,
    the ensemble with roles, and lyrics when asked. Honour every explicit constraint of the brief.
    Fix every finding in the feedback while keeping what was right.
    Your anxiety: is there a motif worth remembering, and does it develop?"""

    brief: Brief = dspy.InputField(desc="The Theme Weaver's brief, with the explicit constraints.")
    exemplars: list[str] = dspy.InputField(desc="Real pieces to learn forms, progressions and cadences from.")
    feedback: list[str] = dspy.InputField(desc="Findings of the validators and critics on the previous attempt.")
    spec: CompositionSpec = dspy.OutputField(desc="The full design.")


class CritiqueHarmony(dspy.Signature):
    """You are the Harmony Critic. Given the design, the measured melody-harmony metrics and the
    rule findings, decide which problems matter, and propose reharmonizations bar by bar (chord
    strings in the section's key) that keep the melody's strong-beat notes as chord tones.
    Your anxiety: what clashes, and where does the harmony stop serving the melody?"""

    spec: CompositionSpec = dspy.InputField(desc="The design.")
    metrics: dict[str, float] = dspy.InputField(desc="CTnCTR, PCS, MCTD, chord histogram entropy ...")
    rule_findings: list[Finding] = dspy.InputField(desc="Findings of the harmony rules, with paths.")
    critique: HarmonyCritique = dspy.OutputField(desc="Metrics, findings that matter, proposals.")


class JudgeAesthetics(dspy.Signature):
    """You are the Aesthetics Judge. Score the rendered piece on interpretable dimensions in [0, 1]
    (structure clarity, motif recurrence, harmonic variety, rhythmic coherence, dynamics against the
    affect arc, audio quality), each with a reason that quotes the measurements, then give a verdict
    (accept, revise or reject) and targeted findings the composer can act on.
    Your anxiety: would anyone listen to this twice?"""

    spec: CompositionSpec = dspy.InputField(desc="The design.")
    measurements: dict[str, float] = dspy.InputField(desc="Measured scores and signals of the rendered piece.")
    judgement: Judgement = dspy.OutputField(desc="Scores, verdict, reasons and findings.")
