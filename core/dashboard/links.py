"""Explore's view as URL query parameters and back, so any view can be shared and reopened (no Streamlit).

A link names the experiment, the seed, and either an utterance (corpus role, utt_id, Explore's filters) or a
typed sentence: ``explore?experiment=demo&role=cross&utt=muse_17&gender=F`` or ``explore?text=I+think+so``.
Values a build cannot show (an unknown role, a seed it lacks) are left out rather than raised, so a stale
link opens Explore at its defaults instead of an error.
"""
from __future__ import annotations

from typing import Any, Mapping, MutableMapping, Sequence
from urllib.parse import urlencode

from core.dashboard.explore import AGREEMENT
from core.schema import GENDERS, ROLE_LABELS, VALENCE_CLASSES

PICK, TYPE = "Pick an utterance", "Type a sentence"  # Explore's two modes
FILTERS = {"gender": ("explore_gender", ("any", *GENDERS)),  # query parameter -> (Explore's key, allowed values)
           "valence": ("explore_valence", ("any", *VALENCE_CLASSES)),
           "agreement": ("explore_agreement", AGREEMENT)}
KEPT = ("explore_mode", "explore_role", "explore_gender", "explore_valence", "explore_agreement", "explore_utt",
        "explore_text")  # Explore's widget keys, copied to a plain key so they outlive a visit to another page
MAX_TEXT = 2000     # a typed sentence longer than this stays out of the URL (browsers cut long URLs)
MAX_TYPED = 20_000  # the longest text Explore's text boxes take


def explore_params(*, role: str, utt_id: str, experiment: str | None = None, seed: int | None = None
                   ) -> dict[str, str]:
    """The query parameters that open one utterance in Explore, filters wide open."""
    params = {"experiment": experiment, "seed": None if seed is None else str(seed), "role": role, "utt": utt_id}
    return {k: v for k, v in params.items() if v is not None}


def explore_url(*, role: str, utt_id: str, experiment: str | None = None, seed: int | None = None) -> str:
    """A relative link to Explore showing one utterance: it works from any page and pasted in a new tab."""
    return "explore?" + urlencode(explore_params(role=role, utt_id=utt_id, experiment=experiment, seed=seed))


def state_from_params(params: Mapping[str, str], *, seeds: Sequence[int]) -> dict[str, Any]:
    """The Explore state (widget key -> value) a URL asks for; "seed" when it names one of ``seeds``.

    ``text`` opens the typed path; ``utt`` (or a filter) opens the picker, with every filter the URL does not
    name set to "any" so the utterance is among the choices.
    """
    state: dict[str, Any] = {}
    if params.get("seed", "").lstrip("-").isdigit() and int(params["seed"]) in seeds:
        state["seed"] = int(params["seed"])
    if params.get("text", "").strip():
        return {**state, "explore_mode": TYPE, "explore_text": params["text"][:MAX_TYPED]}
    filters = {key: params[name] for name, (key, allowed) in FILTERS.items() if params.get(name) in allowed}
    role = params.get("role") if params.get("role") in ROLE_LABELS else None
    if not (params.get("utt") or filters or role):
        return state
    state.update({"explore_mode": PICK, **{key: "any" for key, _ in FILTERS.values()}, **filters})
    if role:
        state["explore_role"] = role
    if params.get("utt"):
        state["explore_utt"] = params["utt"]
    return state


def params_from_state(state: Mapping[str, Any], *, experiment: str, seed: int | None = None,
                      source_utt: tuple[str, str] | None = None) -> dict[str, str]:
    """The query parameters of the view Explore shows, what a shared link reopens.

    ``source_utt`` is (role, utt_id) when the typed text is a corpus utterance unchanged (one the build did
    not explain): the link then names the utterance, which carries its gold label, rather than the text.
    """
    params = {"experiment": experiment, **({} if seed is None else {"seed": str(seed)})}
    if state.get("explore_mode") == TYPE:
        if source_utt:
            return {**params, "role": source_utt[0], "utt": source_utt[1]}
        text = state.get("explore_text") or ""
        return {**params, "text": text} if text.strip() and len(text) <= MAX_TEXT else params
    for name, (key, _) in FILTERS.items():
        if state.get(key, "any") != "any":
            params[name] = state[key]
    for name, key in (("role", "explore_role"), ("utt", "explore_utt")):
        if state.get(key):
            params[name] = str(state[key])
    return params


def arrive(state: MutableMapping[str, Any], params: Mapping[str, str], *, seeds: Sequence[int]) -> None:
    """Set Explore's state (``st.session_state``) on arrival, each source overriding the one before: the values
    kept from the last visit (Streamlit drops the keys of widgets a page did not draw), a URL Explore did not
    write itself (a shared link, a link from another page), a pick another page left in ``explore_pick``."""
    for key, value in state.get("explore_kept", {}).items():
        if key not in state:
            state[key] = value
    if params != state.get("explore_url") and (wanted := state_from_params(params, seeds=seeds)):
        state.update(wanted)
        if "seed" in wanted:
            state["seed_kept"] = wanted["seed"]
        state.pop("explore_source", None)
    if picked := state.pop("explore_pick", None):
        state.update(state_from_params({"role": picked["role"], "utt": picked["utt_id"]}, seeds=()))
        state.pop("explore_source", None)


def keep(state: MutableMapping[str, Any], params: Mapping[str, str]) -> None:
    """Remember the URL Explore wrote (so it is not taken for a new link) and its widget values (so they outlive
    a visit to another page)."""
    state["explore_url"] = dict(params)
    state["explore_kept"] = {key: state[key] for key in KEPT if key in state}
