"""AI drafting: providers, safety checks, the draft job and the replay gate.

* :mod:`.provider`: the interface every provider speaks (draft and classify) and the registry.
* :mod:`.local`: the default provider (no network): the workspace's own approved replies to
  similar messages, then its templates, filled with the lead's facts.
* :mod:`.openai_compat`: any OpenAI-compatible chat-completions server (OpenAI, vLLM, Ollama,
  llama.cpp) through the ``openai`` package.
* :mod:`.safety`: the checks every draft passes before it is stored (and the judge's critical
  checks).
* :mod:`.drafting`: builds the request from the database, runs provider and checks, stores.
* :mod:`.jobs`: the draft and auto-send jobs; :mod:`.replay` and :mod:`.judge`: the replay CLI.
"""
